"""The Lambda entry point's adapters without the container: the same wiring, no container.

A function with no container of its own takes its Lambda environment from ``LambdaAdapters``;
once its ``lambda_container`` is asked for (to override a provider), the container's wiring
serves every later invocation. The AWS API cannot run here: a stand-in for the boto3 ``lambda``
client answers checkpoints as the service does for a one-step execution.
"""

from __future__ import annotations

import random
import sys
from types import SimpleNamespace
from typing import Any, cast

import pytest
from botocore.config import Config as BotocoreConfig

from durable_lambda import DurableContext, durable_execution
from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import SystemClock
from durable_lambda.adapters.logging.lambda_logger import LambdaLogger
from durable_lambda.app.container import lambda_container
from durable_lambda.app.lambda_adapters import LambdaAdapters

EVENT = {
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e",
    "CheckpointToken": "t0",
    "InitialExecutionState": {
        "Operations": [
            {
                "Id": "1",
                "Type": "EXECUTION",
                "Status": "STARTED",
                "StartTimestamp": 1767225600000,
                "ExecutionDetails": {"InputPayload": "{}"},
            }
        ]
    },
}
LAMBDA_CONTEXT = SimpleNamespace(
    aws_request_id="req-1", get_remaining_time_in_millis=lambda: 900_000
)


class StandInClient:
    """Answers ``CheckpointDurableExecution`` as the service does: a new token, no changes."""

    def __init__(self) -> None:
        self.checkpoints: list[dict[str, Any]] = []

    def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
        self.checkpoints.append(request)
        return {"CheckpointToken": f"t{len(self.checkpoints)}", "NewExecutionState": {}}


async def _one_step(event: Any, ctx: DurableContext) -> str:
    await ctx.step(lambda _: 1, name="one")
    return "done"


def test_the_adapters_are_those_the_lambda_container_wires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a fresh Lambda process: the application has not configured structlog (other tests
    # of this process may have).
    monkeypatch.delitem(sys.modules, "structlog", raising=False)
    client = StandInClient()
    adapters = LambdaAdapters(client=client)
    container = lambda_container(client=client)
    assert type(adapters.service) is type(container.service()) is LambdaDurableService
    assert adapters.service.client is cast(Any, client)  # as is, never a copy
    assert type(adapters.clock) is type(container.clock()) is SystemClock
    assert type(adapters.random) is type(container.random()) is random.Random
    assert type(adapters.logger()) is type(container.logger()) is LambdaLogger


def test_a_botocore_config_reaches_the_built_client() -> None:
    adapters = LambdaAdapters(boto_config=BotocoreConfig(region_name="eu-central-1"))
    assert adapters.service.client.meta.region_name == "eu-central-1"


def test_the_service_clock_and_randomness_are_built_once_the_logger_per_invocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "structlog", raising=False)  # Lambda's format, as above
    adapters = LambdaAdapters(client=StandInClient())
    first = (adapters.service, adapters.clock, adapters.random)
    assert (adapters.service, adapters.clock, adapters.random) == first
    assert adapters.logger() is not adapters.logger()


def test_a_function_without_a_container_runs_on_the_adapters() -> None:
    client = StandInClient()
    fn = durable_execution(client=client)(_one_step)

    output = fn(EVENT, LAMBDA_CONTEXT)

    assert output["Status"] == "SUCCEEDED"
    assert client.checkpoints  # the step and the result reached the client given
    assert fn._lambda_container is None  # no container was built for it
    environment = fn.lambda_environment(LAMBDA_CONTEXT)
    assert environment.service is fn.lambda_environment(None).service
    assert environment.request_id == "req-1"


def test_once_asked_for_the_container_serves_the_later_invocations() -> None:
    first_client, second_client = StandInClient(), StandInClient()
    fn = durable_execution(client=first_client)(_one_step)
    assert fn(EVENT, LAMBDA_CONTEXT)["Status"] == "SUCCEEDED"
    calls = len(first_client.checkpoints)

    fn.lambda_container.aws_client.set_provides(second_client)
    assert fn(EVENT, LAMBDA_CONTEXT)["Status"] == "SUCCEEDED"

    assert len(first_client.checkpoints) == calls
    assert second_client.checkpoints
