"""``@durable_execution`` called the way the Lambda runtime calls it, against the local service.

Invocation inputs come from ``LocalDurableService`` (an in-memory store, a fake clock); the
decorated function's container has its ``service`` and ``clock`` providers overridden with them,
and is called synchronously with ``(event, lambda_context)``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotocoreConfig

from durable_lambda import (
    CheckpointError,
    CheckpointMode,
    DurableContext,
    DurableFunction,
    Duration,
    InvalidCheckpointTokenError,
    RuntimeOptions,
    ValidationError,
    durable_execution,
)
from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.container import Container
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionStatus

LAMBDA_CONTEXT = SimpleNamespace(
    aws_request_id="0b1c2d3e-req",
    function_name="orders",
    get_remaining_time_in_millis=lambda: 900_000,
)


@dataclass
class LocalExecution:
    """One execution on a local service, and the means to build its invocation inputs."""

    service: LocalDurableService
    clock: FakeClock
    arn: str

    async def next_event(self) -> dict[str, Any]:
        """The next invocation's input (this issues a new checkpoint token)."""
        return (await self.service.invocation_input(self.arn)).to_wire()

    async def operations(self, type_: OperationType) -> list[Any]:
        record = await self.service.get_record(self.arn)
        return [op for op in record.operations.values() if op.Type is type_]


async def start_local(payload: object) -> LocalExecution:
    clock = FakeClock()
    service = LocalDurableService(InMemoryExecutionStore(), clock)
    arn = await service.start_execution("orders", json.dumps(payload))
    return LocalExecution(service, clock, arn)


def wire_to(fn: DurableFunction[Any], local: LocalExecution) -> None:
    fn.container.service.override(local.service)
    fn.container.clock.override(local.clock)


# The decorator.


def test_bare_decorator_makes_a_durable_function_with_the_default_wiring() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        """Place an order."""
        return "ok"

    assert isinstance(handler, DurableFunction)
    assert getattr(handler, "__name__", None) == "handler"
    assert handler.__doc__ == "Place an order."
    assert handler.container.config.backend() == "aws"
    assert handler.container.config.clock() == "system"
    options = handler.container.runtime_options()
    assert options.checkpoint_mode is CheckpointMode.BATCHED
    assert options.log_during_replay is False


def test_decorator_with_options_configures_its_container() -> None:
    # A real client holds locks: it must reach the service as is, never copied.
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    @durable_execution(checkpoint_mode="eager", log_during_replay=True, client=client)
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert isinstance(handler, DurableFunction)
    options = handler.container.runtime_options()
    assert options.checkpoint_mode is CheckpointMode.EAGER
    assert options.log_during_replay is True
    # Setting configuration afterwards (as tools do) must not copy the client either.
    handler.container.config.clock.from_value("system")
    service = handler.container.service()
    assert isinstance(service, LambdaDurableService)
    assert service.client is client


def test_decorator_passes_a_botocore_config_to_the_built_client() -> None:
    boto_config = BotocoreConfig(read_timeout=7, region_name="eu-west-1")

    @durable_execution(boto_config=boto_config)
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    service = handler.container.service()
    assert isinstance(service, LambdaDurableService)
    built = service.client  # built on first use; no network call is made
    assert built.meta.region_name == "eu-west-1"
    assert getattr(built.meta.config, "read_timeout", None) == 7


def test_decorator_uses_a_given_container_as_is() -> None:
    container = Container()
    container.config.from_dict({"backend": "memory", "clock": "fake", "checkpoint_mode": "EAGER"})

    @durable_execution(container=container)
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert handler.container is container
    assert isinstance(handler.container.service(), LocalDurableService)


def test_each_decorated_function_has_its_own_container() -> None:
    @durable_execution
    async def first(event: Any, ctx: DurableContext) -> str:
        return "first"

    @durable_execution(checkpoint_mode="OPTIMISTIC")
    async def second(event: Any, ctx: DurableContext) -> str:
        return "second"

    local = asyncio.run(start_local({}))
    wire_to(first, local)
    assert first.container.service() is local.service
    assert isinstance(second.container.service(), LambdaDurableService)
    assert first.container.runtime_options().checkpoint_mode is CheckpointMode.BATCHED
    assert second.container.runtime_options().checkpoint_mode is CheckpointMode.OPTIMISTIC


# Called synchronously, as the Lambda runtime does.


def test_a_returning_handler_succeeds_with_its_json_result() -> None:
    @durable_execution
    async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
        charged = await ctx.step(lambda _: event["amount"] * 2, name="charge")
        return {"orderId": event["orderId"], "charged": charged}

    local = asyncio.run(start_local({"orderId": 7, "amount": 21}))
    wire_to(handler, local)

    output = handler(asyncio.run(local.next_event()), LAMBDA_CONTEXT)

    assert output == {"Status": "SUCCEEDED", "Result": '{"orderId": 7, "charged": 42}'}
    (step,) = asyncio.run(local.operations(OperationType.STEP))
    assert (step.Name, step.Status) == ("charge", OperationStatus.SUCCEEDED)


def test_a_waiting_handler_returns_pending_and_leaves_the_wait_started() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.wait(Duration.from_minutes(5), name="cool-off")
        return "done"

    local = asyncio.run(start_local({}))
    wire_to(handler, local)

    output = handler(asyncio.run(local.next_event()), LAMBDA_CONTEXT)

    assert output == {"Status": "PENDING"}
    (wait,) = asyncio.run(local.operations(OperationType.WAIT))
    assert (wait.Name, wait.Status) == ("cool-off", OperationStatus.STARTED)


def test_a_raising_handler_fails_with_its_error() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        raise ValueError("card declined")

    local = asyncio.run(start_local({}))
    wire_to(handler, local)

    output = handler(asyncio.run(local.next_event()), LAMBDA_CONTEXT)

    assert output["Status"] == "FAILED"
    assert "Result" not in output
    error = output["Error"]
    assert (error["ErrorType"], error["ErrorMessage"]) == ("ValueError", "card declined")
    assert any("card declined" in line for line in error["StackTrace"])


def test_an_event_that_is_not_a_durable_input_is_a_validation_error() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "never"

    with pytest.raises(ValidationError, match="DurableExecutionArn"):
        handler({"orderId": 7}, LAMBDA_CONTEXT)


def test_warm_invocations_reuse_one_event_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        loops.append(asyncio.get_running_loop())
        await ctx.wait(Duration.from_seconds(30), name="pause")
        return "resumed"

    local = asyncio.run(start_local({}))
    wire_to(handler, local)

    assert handler(asyncio.run(local.next_event()), LAMBDA_CONTEXT) == {"Status": "PENDING"}
    local.clock.advance(30)
    assert asyncio.run(local.service.advance(local.arn))
    second = handler(asyncio.run(local.next_event()), LAMBDA_CONTEXT)

    assert second == {"Status": "SUCCEEDED", "Result": '"resumed"'}
    assert len(loops) == 2
    assert loops[0] is loops[1]
    assert not loops[0].is_closed()
    assert not loops[0].is_running()


async def test_a_result_over_the_response_limit_is_checkpointed_on_the_execution() -> None:
    big = {"blob": "x" * 200}
    payload = json.dumps(big)

    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> dict[str, str]:
        return big

    local = await start_local({})
    wire_to(handler, local)
    limit = len(payload.encode()) - 1

    output = await handler.invoke(
        await local.next_event(), options=RuntimeOptions(max_response_bytes=limit)
    )

    assert output == {"Status": "SUCCEEDED", "Result": ""}
    record = await local.service.get_record(local.arn)
    assert record.status is ExecutionStatus.SUCCEEDED
    assert record.result == payload
    (execution,) = await local.operations(OperationType.EXECUTION)
    assert execution.Status is OperationStatus.SUCCEEDED


async def test_a_result_at_the_response_limit_is_returned_inline() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "y" * 50

    local = await start_local({})
    wire_to(handler, local)
    options = RuntimeOptions(max_response_bytes=len(json.dumps("y" * 50)))

    output = await handler.invoke(await local.next_event(), options=options)

    assert output == {"Status": "SUCCEEDED", "Result": json.dumps("y" * 50)}
    record = await local.service.get_record(local.arn)
    assert record.status is ExecutionStatus.RUNNING  # settled only by the output, not a checkpoint


# Checkpoint failures.


class FailingService:
    """A ``DurableService`` whose every checkpoint call fails with ``error``."""

    def __init__(self, error: CheckpointError) -> None:
        self.error = error
        self.calls = 0

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        self.calls += 1
        raise self.error

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return ExecutionState()


async def _waits(event: Any, ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_seconds(10), name="pause")
    return "done"


async def _steps(event: Any, ctx: DurableContext) -> str:
    await ctx.step(lambda _: 1, name="one")
    await ctx.step(lambda _: 2, name="two")
    return "done"


def _failing(handler: Any, error: CheckpointError) -> tuple[DurableFunction[Any], FailingService]:
    fn = durable_execution(handler)
    service = FailingService(error)
    fn.container.service.override(service)
    fn.container.clock.override(FakeClock())
    return fn, service


@pytest.mark.parametrize("handler", [_waits, _steps])
def test_a_retriable_checkpoint_error_propagates_out_of_the_handler(handler: Any) -> None:
    throttled = CheckpointError("Rate exceeded", retriable=True)
    fn, service = _failing(handler, throttled)
    event = asyncio.run(asyncio.run(start_local({})).next_event())

    with pytest.raises(CheckpointError) as caught:
        fn(event, LAMBDA_CONTEXT)

    assert caught.value is throttled
    assert service.calls >= 1


@pytest.mark.parametrize("handler", [_waits, _steps])
def test_a_non_retriable_checkpoint_error_fails_the_execution(handler: Any) -> None:
    refused = CheckpointError("KMS key disabled", retriable=False)
    fn, service = _failing(handler, refused)
    event = asyncio.run(asyncio.run(start_local({})).next_event())

    output = fn(event, LAMBDA_CONTEXT)

    assert output["Status"] == "FAILED"
    assert "Result" not in output
    assert output["Error"]["ErrorType"] == "CheckpointError"
    assert output["Error"]["ErrorMessage"] == "KMS key disabled"
    assert service.calls >= 1


def test_an_invalid_checkpoint_token_from_a_fake_propagates() -> None:
    fn, _ = _failing(_waits, InvalidCheckpointTokenError("Invalid checkpoint token"))
    event = asyncio.run(asyncio.run(start_local({})).next_event())
    with pytest.raises(InvalidCheckpointTokenError):
        fn(event, LAMBDA_CONTEXT)


def test_a_stale_checkpoint_token_propagates_and_the_loop_stays_usable() -> None:
    handler = durable_execution(_waits)
    local = asyncio.run(start_local({}))
    wire_to(handler, local)
    stale = asyncio.run(local.next_event())
    fresh = asyncio.run(local.next_event())  # issuing a new token retires the first one

    with pytest.raises(InvalidCheckpointTokenError, match="not the execution's current token"):
        handler(stale, LAMBDA_CONTEXT)

    # Lambda retries the invocation with a fresh token, on the same warm container.
    assert handler(fresh, LAMBDA_CONTEXT) == {"Status": "PENDING"}
