"""PowertoolsLogger: the SDK's events through a real Powertools for AWS Lambda ``Logger``."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from durable_lambda import DurableContext, StepContext, durable_execution
from durable_lambda.adapters.logging.powertools_logger import PowertoolsLogger
from durable_lambda.core.ports import Logger

powertools = pytest.importorskip("aws_lambda_powertools")

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-1/abc"


def _powertools(out: io.StringIO, level: str = "INFO") -> Any:
    # Powertools keeps one logging.Logger per service name, with the stream it was first
    # given: a name of its own per test, so that each test reads its own lines.
    return powertools.Logger(service=f"orders-{uuid.uuid4().hex}", stream=out, level=level)


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_satisfies_the_port() -> None:
    logger = PowertoolsLogger(_powertools(io.StringIO()))
    assert isinstance(logger, Logger)
    assert isinstance(logger.bind(a=1), Logger)


def test_sdk_fields_appear_under_lambdas_keys_beside_powertools_own() -> None:
    out = io.StringIO()
    logger = PowertoolsLogger(_powertools(out)).bind(
        execution_arn=ARN, operation_id="op-2", operation_name="charge", attempt=1, parent_id=None
    )

    logger.bind(order_id="o-7").info("charged", amount=3, message="mine")

    [line] = _lines(out)
    assert line["service"].startswith("orders-")
    assert line["level"] == "INFO"
    assert line["message"] == "charged"
    assert line["executionArn"] == ARN
    assert line["operationId"] == "op-2"
    assert line["operationName"] == "charge"
    assert line["attempt"] == 1
    assert "parentId" not in line
    assert line["order_id"] == "o-7"
    assert line["amount"] == 3
    assert line["field_message"] == "mine"


@pytest.mark.parametrize("method", ["debug", "info", "warning", "error"])
def test_each_method_logs_at_its_level(method: str) -> None:
    out = io.StringIO()
    logger = PowertoolsLogger(_powertools(out, level="DEBUG"))

    getattr(logger, method)("happened")

    [line] = _lines(out)
    assert line["level"] == method.upper()


def test_exception_carries_the_exception() -> None:
    out = io.StringIO()
    try:
        raise ValueError("card declined")
    except ValueError:
        PowertoolsLogger(_powertools(out)).exception("charge failed")

    [line] = _lines(out)
    assert line["level"] == "ERROR"
    assert "card declined" in line["exception"]


def test_a_handler_logs_through_the_applications_powertools_logger() -> None:
    out = io.StringIO()

    class StandInClient:
        def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
            return {"CheckpointToken": "t1", "NewExecutionState": {}}

    class LambdaContext:
        aws_request_id = "req-1"

    @durable_execution(logger=PowertoolsLogger(_powertools(out)), client=StandInClient())
    async def handler(event: Any, ctx: DurableContext) -> int:
        def charge(step: StepContext) -> int:
            step.logger.info("charging")
            return 42

        ctx.logger.info("received")
        charged: int = await ctx.step(charge, name="charge")
        return charged

    output = handler(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "t0",
            "InitialExecutionState": {
                "Operations": [
                    {"Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 0}
                ]
            },
        },
        LambdaContext(),
    )

    assert output["Status"] == "SUCCEEDED"
    received, charging = _lines(out)
    assert received["message"] == "received"
    assert received["requestId"] == "req-1"
    assert received["executionArn"] == ARN
    assert charging["operationName"] == "charge"
    assert charging["attempt"] == 1
    # Powertools names where the line was logged: the handler's code, not this adapter.
    assert charging["location"].startswith("charge:")
