"""``@durable_execution``: a definition, checked when made, called as the Lambda runtime calls it.

Invocation inputs come from ``LocalDurableService`` (an in-memory store, a fake clock); the
decorated function's Lambda container has its ``service`` and ``clock`` providers overridden
with them, and the function is called synchronously with ``(event, lambda_context)``. Other
hosts' environments are given to ``invoke`` directly.
"""

from __future__ import annotations

import asyncio
import json
import random
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
    EnvelopeSerDes,
    InvalidCheckpointTokenError,
    ValidationError,
    durable_execution,
)
from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.container import Container, local_container
from durable_lambda.app.definition import Environment, FunctionSettings, ServiceLimits
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionStatus
from durable_lambda.testing import CapturingLogger

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
    fn.lambda_container.service.override(local.service)
    fn.lambda_container.clock.override(local.clock)


def local_environment(local: LocalExecution, **changes: Any) -> Environment:
    return Environment(
        service=local.service,
        clock=local.clock,
        logger=CapturingLogger(),
        random=random.Random(0),
        **changes,
    )


# The decorator: a definition (handler and settings), and the Lambda entry point's wiring.


def test_bare_decorator_makes_a_definition_with_default_settings() -> None:
    @durable_execution
    async def handler(event: Any, ctx: DurableContext) -> str:
        """Place an order."""
        return "ok"

    assert isinstance(handler, DurableFunction)
    assert getattr(handler, "__name__", None) == "handler"
    assert handler.__doc__ == "Place an order."
    assert handler.settings == FunctionSettings()
    assert handler.settings.checkpoint_mode is CheckpointMode.BATCHED
    assert handler.settings.log_during_replay is False
    assert handler.settings.logger is None
    # The Lambda entry point's container: the aws backend, Lambda's log format.
    assert handler.lambda_container.config.backend() == "aws"
    assert handler.lambda_container.config.clock() == "system"
    assert handler.lambda_container.config.logger() == "lambda"


def test_the_definition_holds_no_container_until_lambda_calls_it() -> None:
    @durable_execution(checkpoint_mode="eager")
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert not any(isinstance(value, Container) for value in vars(handler).values())


def test_decorator_options_are_the_definitions_settings() -> None:
    # A real client holds locks: it must reach the service as is, never copied.
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    logger = CapturingLogger()
    serdes = EnvelopeSerDes()

    @durable_execution(
        checkpoint_mode="eager", log_during_replay=True, client=client, logger=logger, serdes=serdes
    )
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert isinstance(handler, DurableFunction)
    assert handler.settings.checkpoint_mode is CheckpointMode.EAGER
    assert handler.settings.log_during_replay is True
    assert handler.settings.logger is logger
    assert handler.settings.serdes is serdes
    # Setting configuration afterwards (as tools do) must not copy the client either.
    handler.lambda_container.config.clock.from_value("system")
    service = handler.lambda_container.service()
    assert isinstance(service, LambdaDurableService)
    assert service.client is client


def test_decorator_passes_a_botocore_config_to_the_built_client() -> None:
    boto_config = BotocoreConfig(read_timeout=7, region_name="eu-west-1")

    @durable_execution(boto_config=boto_config)
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    service = handler.lambda_container.service()
    assert isinstance(service, LambdaDurableService)
    built = service.client  # built on first use; no network call is made
    assert built.meta.region_name == "eu-west-1"
    assert getattr(built.meta.config, "read_timeout", None) == 7


def test_a_given_container_is_the_lambda_entry_points_and_settings_stay_the_decorators() -> None:
    container = local_container(clock="fake")

    @durable_execution(container=container, checkpoint_mode="OPTIMISTIC")
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert handler.lambda_container is container
    assert isinstance(handler.lambda_container.service(), LocalDurableService)
    assert handler.settings.checkpoint_mode is CheckpointMode.OPTIMISTIC


def test_a_container_with_a_client_is_refused() -> None:
    with pytest.raises(ValidationError, match="not both"):

        @durable_execution(container=local_container(), client=object())
        async def handler(event: Any, ctx: DurableContext) -> str:
            return "ok"


def test_each_decorated_function_has_its_own_lambda_container() -> None:
    @durable_execution
    async def first(event: Any, ctx: DurableContext) -> str:
        return "first"

    @durable_execution(checkpoint_mode="OPTIMISTIC")
    async def second(event: Any, ctx: DurableContext) -> str:
        return "second"

    local = asyncio.run(start_local({}))
    wire_to(first, local)
    assert first.lambda_container.service() is local.service
    assert isinstance(second.lambda_container.service(), LambdaDurableService)
    assert first.settings.checkpoint_mode is CheckpointMode.BATCHED
    assert second.settings.checkpoint_mode is CheckpointMode.OPTIMISTIC


# Checked when the function is defined, not at its first invocation.


@pytest.mark.parametrize("mode", ["sometimes", "batch", "EAGERLY"])
def test_an_invalid_checkpoint_mode_is_refused_at_decoration(mode: str) -> None:
    with pytest.raises(ValidationError, match="EAGER, BATCHED, OPTIMISTIC") as refused:
        durable_execution(checkpoint_mode=mode)

    assert refused.value.field == "checkpoint_mode"
    assert repr(mode) in str(refused.value)


def test_a_sync_handler_is_refused_at_decoration() -> None:
    def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        return {}

    with pytest.raises(ValidationError, match=r"plain def handler.*async def handler") as refused:
        durable_execution(handler)  # type: ignore[arg-type]  # the mistake under test

    assert refused.value.field == "handler"


def test_a_generator_handler_is_refused_at_decoration() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        yield 1

    with pytest.raises(ValidationError, match="generator function"):
        durable_execution(handler)


def test_an_async_callable_object_and_a_lambda_are_accepted() -> None:
    class Handler:
        async def __call__(self, event: Any, ctx: DurableContext) -> str:
            return "ok"

    async def body(event: Any, ctx: DurableContext) -> str:
        return "ok"

    assert durable_execution(Handler()).settings == FunctionSettings()
    assert isinstance(durable_execution(lambda event, ctx: body(event, ctx)), DurableFunction)


# One definition, any environment.


async def test_the_same_definition_runs_in_whichever_environment_a_host_gives_it() -> None:
    @durable_execution
    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        ctx.logger.info("running")
        return int(await ctx.step(lambda _: event["n"] * 2, name="double"))

    first, second = await start_local({"n": 1}), await start_local({"n": 5})
    env_first, env_second = local_environment(first), local_environment(second)

    one = await handler.invoke(await first.next_event(), env_first)
    two = await handler.invoke(await second.next_event(), env_second)

    assert (one, two) == (
        {"Status": "SUCCEEDED", "Result": "2"},
        {"Status": "SUCCEEDED", "Result": "10"},
    )
    for environment in (env_first, env_second):
        assert isinstance(environment.logger, CapturingLogger)
        assert environment.logger.events() == ["running"]


async def test_a_logger_the_function_chose_is_used_in_every_environment() -> None:
    chosen = CapturingLogger()

    @durable_execution(logger=chosen)
    async def handler(event: Any, ctx: DurableContext) -> str:
        ctx.logger.info("mine")
        return "ok"

    local = await start_local({})
    environment = local_environment(local, request_id="req-7")
    await handler.invoke(await local.next_event(), environment)

    assert chosen.events() == ["mine"]
    assert chosen.records[0].fields["request_id"] == "req-7"
    assert isinstance(environment.logger, CapturingLogger)
    assert environment.logger.events() == []


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

    limits = ServiceLimits(max_response_bytes=limit)
    output = await handler.invoke(await local.next_event(), local_environment(local, limits=limits))

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
    limits = ServiceLimits(max_response_bytes=len(json.dumps("y" * 50)))

    output = await handler.invoke(await local.next_event(), local_environment(local, limits=limits))

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
    fn.lambda_container.service.override(service)
    fn.lambda_container.clock.override(FakeClock())
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
