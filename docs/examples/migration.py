"""durable-lambda's version of the migration example, and executions moved both ways.

The tests start an execution with one SDK and finish it with the other: the official SDK's
handler runs against durable-lambda's local service logic (``durable_lambda.service``)
through a small stand-in for boto3's ``lambda`` client.
"""

# ruff: noqa: D103, E402
# --8<-- [start:ours]
from decimal import Decimal
from typing import Any

from durable_lambda import (
    DurableContext,
    Duration,
    RetryPresets,
    StepConfig,
    StepContext,
    durable_execution,
)


def create_order(step: StepContext, order_id: str) -> dict[str, Any]:
    return {"id": order_id, "total": Decimal("42.50")}


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    order = await ctx.step(
        lambda step: create_order(step, event["orderId"]),
        name="create_order",  # the name the official @durable_step recorded
    )
    stock = await ctx.step(lambda _: {"sku": "pen", "reserved": 2}, name="reserve")
    await ctx.wait(Duration.from_days(1), name="cool-off")
    return await ctx.step(
        lambda _: {"order": order["id"], "charged": str(order["total"]), **stock},
        name="charge",
        config=StepConfig(retry_strategy=RetryPresets.transient()),
    )


# --8<-- [end:ours]

# --8<-- [start:envelope]
from durable_lambda import EnvelopeSerDes


@durable_execution(serdes=EnvelopeSerDes())  # write what the official SDK writes
async def two_way_handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return await handler.handler(event, ctx)


# --8<-- [end:envelope]

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import migration_official
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
)
from aws_durable_execution_sdk_python.lambda_service import LambdaClient

from durable_lambda import service
from durable_lambda.core.model import InvocationOutput, OperationUpdate
from durable_lambda.service.record import ExecutionRecord
from durable_lambda.testing import DurableTestRunner, TestExecution

START = datetime(2026, 1, 1, tzinfo=UTC)


class ServiceBackedClient:
    """Answers the official SDK's two durable API calls with durable-lambda's service logic."""

    def __init__(self, record: ExecutionRecord, now: Callable[[], datetime]) -> None:
        self.record = record
        self.now = now

    def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
        """Apply a checkpoint as the service would."""
        updates = [OperationUpdate.model_validate(update) for update in request["Updates"]]
        response = service.apply_checkpoint(
            self.record, request["CheckpointToken"], updates, self.now(), request.get("ClientToken")
        )
        return response.model_dump(exclude_none=True)

    def get_durable_execution_state(self, **request: Any) -> dict[str, Any]:
        """Return a page of the execution's operations."""
        page = service.state_page(
            self.record, request["Marker"], request["MaxItems"], request["CheckpointToken"]
        )
        return page.model_dump(exclude_none=True)


def invoke_official(record: ExecutionRecord, now: datetime) -> InvocationOutput:
    """Run one invocation of the official SDK's handler against ``record``."""
    client = LambdaClient(client=cast(Any, ServiceBackedClient(record, lambda: now)))
    payload = DurableExecutionInvocationInput.from_json_dict(
        service.invocation_input(record).to_wire()
    )
    event = DurableExecutionInvocationInputWithClient.from_durable_execution_invocation_input(
        payload, client
    )
    lambda_context = SimpleNamespace(
        aws_request_id="request", get_remaining_time_in_millis=lambda: 900_000
    )
    output = InvocationOutput.model_validate(migration_official.handler(event, lambda_context))
    service.record_invocation(record, now, now, output, request_id="request")
    return output


async def test_an_execution_started_by_the_official_sdk_finishes_here() -> None:
    arn = service.execution_arn("orders", "moved", "e1")
    record = service.start_execution(arn, "orders", json.dumps({"orderId": "o-1"}), START)
    assert invoke_official(record, START).Status.value == "PENDING"  # waiting a day

    runner = DurableTestRunner(handler, always_replay=True, start_time=START)
    await runner.store.create(record)
    run = TestExecution(runner, arn)
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == {
        "order": "o-1",
        "charged": "42.50",
        "sku": "pen",
        "reserved": 2,
    }  # the Decimal read back
    assert run.step("create_order").attempts == 1  # replayed, not run again


async def start_here_and_finish_there(our_handler: Any) -> ExecutionRecord:
    """Run the first invocation with ``our_handler``, the rest with the official SDK."""
    run = await DurableTestRunner(our_handler, start_time=START).start({"orderId": "o-2"})
    output = await run.drive_once()  # the first invocation only
    assert output is not None
    assert output.Status.value == "PENDING"

    record = await run.service.get_record(run.arn)
    later = START.replace(day=3)
    service.advance(record, later)  # the day has passed: the wait is over
    invoke_official(record, later)
    return record


async def test_an_execution_started_here_finishes_with_the_official_sdk() -> None:
    record = await start_here_and_finish_there(two_way_handler)
    assert record.status.value == "SUCCEEDED"
    assert json.loads(record.result or "null") == {
        "order": "o-2",
        "charged": "42.50",
        "sku": "pen",
        "reserved": 2,
    }


async def test_without_the_envelope_the_official_sdk_cannot_read_a_plain_dict() -> None:
    record = await start_here_and_finish_there(handler)  # JsonSerDes: {"sku":"pen",...}
    reserve = next(op for op in record.operations.values() if op.Name == "reserve")
    assert reserve.result_payload == '{"sku":"pen","reserved":2}'
    assert record.status.value == "FAILED"
