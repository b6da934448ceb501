"""``DurableTestRunner`` is a host: the function keeps its settings, the runner gives the rest.

What the function was decorated with (its logger, checkpoint mode, serializer, plugins) holds
under the runner as it does on Lambda; the runner brings the service (over an in-memory store,
or any ``ExecutionStore`` given), the clock (a fake one, or the one given), and the rest, from
the composition root.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from counting_store import CountingStore
from dependency_injector import providers

from durable_lambda import (
    CheckpointMode,
    DurableContext,
    Duration,
    EnvelopeSerDes,
    StepContext,
    ValidationError,
    durable_execution,
)
from durable_lambda.core.ports import SerDesContext
from durable_lambda.testing import CapturingLogger, DurableTestRunner, FakeClock

START = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


async def three_steps(event: Any, ctx: DurableContext) -> int:
    ctx.logger.info("started")
    total = 0
    for index in range(3):
        total += await ctx.step(_returns(index), name=f"step-{index}")
    return total


def _returns(value: int) -> Callable[[StepContext], int]:
    return lambda _: value


async def test_the_logger_the_function_was_decorated_with_receives_its_events() -> None:
    chosen = CapturingLogger()
    handler = durable_execution(logger=chosen)(three_steps)

    result = await DurableTestRunner(handler).run({})

    assert result.status == "SUCCEEDED"
    assert chosen.events() == ["started"]


async def test_the_functions_checkpoint_mode_holds_unless_the_runner_names_another() -> None:
    async def calls(runner: DurableTestRunner) -> int:
        run = await runner.start({})
        assert (await run.result()).status == "SUCCEEDED"
        return run.checkpoint_calls

    eager = durable_execution(checkpoint_mode="EAGER")(three_steps)
    optimistic = durable_execution(checkpoint_mode="OPTIMISTIC")(three_steps)

    # EAGER checkpoints every START and SUCCEED on its own; OPTIMISTIC sends them together.
    assert await calls(DurableTestRunner(eager)) > await calls(DurableTestRunner(optimistic))
    assert await calls(DurableTestRunner(optimistic, checkpoint_mode="eager")) == await calls(
        DurableTestRunner(eager)
    )
    assert DurableTestRunner(eager).function.settings.checkpoint_mode is CheckpointMode.EAGER
    forced = DurableTestRunner(eager, checkpoint_mode=CheckpointMode.BATCHED)
    assert forced.function.settings.checkpoint_mode is CheckpointMode.BATCHED


async def test_the_functions_serializer_writes_the_payloads() -> None:
    async def handler(event: Any, ctx: DurableContext) -> dict[str, int]:
        return await ctx.step(lambda _: {"n": 1}, name="make")

    runner = DurableTestRunner(durable_execution(serdes=EnvelopeSerDes())(handler))
    run = await runner.start({})
    await run.result()

    step = run.step("make").operation
    context = SerDesContext(operation_id=step.Id, durable_execution_arn=run.arn)
    assert step.result_payload == EnvelopeSerDes().serialize({"n": 1}, context)
    assert step.result_payload != json.dumps({"n": 1})  # the official SDK's envelope


def test_an_invalid_checkpoint_mode_is_refused_by_the_runner_at_once() -> None:
    with pytest.raises(ValidationError, match="'sometimes' is not one of"):
        DurableTestRunner(three_steps, checkpoint_mode="sometimes")


def test_a_sync_handler_is_refused_by_the_runner_at_once() -> None:
    def handler(event: Any, ctx: DurableContext) -> int:
        return 1

    with pytest.raises(ValidationError, match="plain def handler"):
        DurableTestRunner(handler)  # type: ignore[arg-type]  # the mistake under test


async def test_a_store_of_ones_own_keeps_the_executions() -> None:
    store = CountingStore()
    runner = DurableTestRunner(three_steps, store=store)

    result = await runner.run({})

    assert result.status == "SUCCEEDED"
    assert runner.store is store
    (summary,) = await store.list_executions()
    assert summary.Status.value == "SUCCEEDED"
    assert store.loads > 0
    assert store.saves > 0


async def test_a_clock_of_ones_own_is_the_one_time_skips_on() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.wait(Duration.from_days(2), name="later")
        return "done"

    clock = FakeClock(START)
    runner = DurableTestRunner(handler, clock=clock)

    result = await runner.run({})

    assert result.status == "SUCCEEDED"
    assert runner.clock is clock
    assert (clock.now() - START).days == 2


def test_a_start_time_and_a_clock_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="start_time or clock"):
        DurableTestRunner(three_steps, start_time=START, clock=FakeClock())


async def test_a_provider_overridden_on_the_runners_container_reaches_the_invocations() -> None:
    runner = DurableTestRunner(three_steps)
    captured = CapturingLogger()
    runner.container.logger.override(providers.Object(captured))

    await runner.run({})

    assert captured.events() == ["started"]
