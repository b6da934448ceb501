"""ctx.now(), ctx.uuid4() and ctx.random(): the same on every replay, distinct across executions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import Duration
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import OperationStatus, OperationType

REPLAY_MODES = pytest.mark.parametrize("always_replay", [False, True], ids=["normal", "replay"])
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def draws(ctx: DurableContext) -> dict[str, Any]:
    """Every kind of derived draw, twice at the same position."""
    rng = ctx.random()
    return {
        "uuids": [str(ctx.uuid4()), str(ctx.uuid4())],
        "numbers": [rng.random(), rng.randint(0, 10**9), ctx.random().random()],
    }


@REPLAY_MODES
async def test_uuid4_and_random_are_identical_on_every_replay(always_replay: bool) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        first = draws(ctx)
        seen.append(first)
        await ctx.step(lambda s: "x", name="between")
        await ctx.wait(Duration.from_minutes(5), name="pause")
        return {"first": first, "after": draws(ctx)}

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.invocations >= 2
    assert len(seen) == result.invocations
    assert all(entry == seen[0] for entry in seen)
    assert result.result["first"] == seen[0]
    first, after = result.result["first"], result.result["after"]
    assert first["uuids"][0] != first["uuids"][1]  # two draws at one position differ
    assert first["numbers"][0] != first["numbers"][2]  # so do two generators
    assert first != after  # and draws at another position


async def test_uuid4_and_random_differ_between_executions() -> None:
    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        return draws(ctx)

    runner = DurableTestRunner(handler, start_time=START)
    first = await runner.run()
    second = await runner.run()

    assert first.result["uuids"] != second.result["uuids"]
    assert first.result["numbers"] != second.result["numbers"]


async def test_draws_in_sibling_child_contexts_differ() -> None:
    async def child(ctx: DurableContext) -> str:
        return str(ctx.uuid4())

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        return [
            await ctx.run_in_child_context(child, name="a"),
            await ctx.run_in_child_context(child, name="b"),
        ]

    result = await DurableTestRunner(handler).run()

    a, b = result.result
    assert a != b


async def test_uuid4_is_a_version_4_uuid() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(ctx.uuid4())

    result = await DurableTestRunner(handler).run()

    value = uuid.UUID(result.result)
    assert value.version == 4
    assert value.variant == uuid.RFC_4122


async def test_uuid4_and_random_take_no_operation_id() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        ctx.uuid4()
        ctx.random().random()

        def own_id(step: StepContext) -> str:
            return step.operation_id

        return await ctx.step(own_id, name="first-operation")

    result = await DurableTestRunner(handler).run()

    assert result.result == operation_id(None, 1)


@REPLAY_MODES
async def test_now_returns_the_first_runs_time_on_every_replay(always_replay: bool) -> None:
    seen: list[datetime] = []

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        before = ctx.now()
        seen.append(before)
        await ctx.wait(Duration.from_hours(2), name="two-hours")
        after = ctx.now()
        return [before.isoformat(), after.isoformat()]

    runner = DurableTestRunner(handler, always_replay=always_replay, start_time=START)
    run = await runner.start()
    result = await run.result()

    assert len(seen) == result.invocations >= 2
    assert all(moment == START for moment in seen)
    before, after = (datetime.fromisoformat(text) for text in result.result)
    assert before == START
    assert after - before == timedelta(hours=2)  # read when the code first got past the wait
    now_records = [op for op in run.operations() if op.operation.SubType == "Now"]
    assert [op.type for op in now_records] == [OperationType.STEP, OperationType.STEP]
    assert all(op.status is OperationStatus.SUCCEEDED for op in now_records)


async def test_now_takes_an_operation_id_like_any_durable_call() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        ctx.now()

        def own_id(step: StepContext) -> str:
            return step.operation_id

        return [await ctx.step(own_id, name="after-now")]

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == [operation_id(None, 2)]
    [record] = [op for op in run.operations() if op.operation.SubType == "Now"]
    assert record.id == operation_id(None, 1)


async def test_now_differs_between_executions_started_at_different_times() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        return ctx.now().isoformat()

    runner = DurableTestRunner(handler, start_time=START)
    first = await runner.run()
    runner.clock.set(START + timedelta(minutes=3))
    second = await runner.run()

    assert datetime.fromisoformat(second.result) - datetime.fromisoformat(first.result) == (
        timedelta(minutes=3)
    )
