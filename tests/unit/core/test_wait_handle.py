"""``ctx.create_wait``: a wait that runs while the code goes on, awaited or cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import Duration
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.history import EventType

START = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_cancelled_wait_ends_cancelled_and_the_execution_does_not_wait_for_it() -> None:
    async def handler(event: dict[str, bool], ctx: DurableContext) -> str:
        grace = await ctx.create_wait(Duration.from_days(7), name="grace")
        paid = await ctx.step(lambda s: event["paid"], name="check-payment")
        if paid:
            await grace.cancel()
            await grace.wait()  # returns at once: the wait was cancelled
            return "paid"
        await grace.wait()
        return "grace period over"

    runner = DurableTestRunner(handler, start_time=START)
    run = await runner.start({"paid": True})
    outcome = await run.result()

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == "paid"
    wait = run.operation("grace")
    assert wait.type is OperationType.WAIT
    assert wait.status is OperationStatus.CANCELLED
    assert runner.clock.now() < START + timedelta(days=1)  # no time was skipped for it
    events = [event.EventType for event in await run.history() if event.Name == "grace"]
    assert events == [EventType.WAIT_STARTED, EventType.WAIT_CANCELLED]


async def test_a_wait_that_is_not_cancelled_is_awaited_until_it_is_due() -> None:
    async def handler(event: dict[str, bool], ctx: DurableContext) -> str:
        grace = await ctx.create_wait(Duration.from_days(7), name="grace")
        await ctx.step(lambda s: event["paid"], name="check-payment")
        await grace.wait()
        await grace.cancel()  # it already ended: nothing to do
        return "over"

    runner = DurableTestRunner(handler, start_time=START)
    run = await runner.start({"paid": False})
    outcome = await run.result()

    assert outcome.result == "over"
    assert run.operation("grace").status is OperationStatus.SUCCEEDED
    assert runner.clock.now() >= START + timedelta(days=7)


async def test_the_timer_runs_while_the_code_goes_on() -> None:
    # The wait started before the 3-day wait, so it is due 4 days after that one ended.
    async def handler(event: Any, ctx: DurableContext) -> None:
        timer = await ctx.create_wait(Duration.from_days(7), name="timer")
        await ctx.wait(Duration.from_days(3), name="meanwhile")
        await timer.wait()

    runner = DurableTestRunner(handler, start_time=START)
    outcome = await runner.run()

    assert outcome.status == "SUCCEEDED"
    assert START + timedelta(days=7) <= runner.clock.now() < START + timedelta(days=8)


async def test_cancelling_replays_the_same_way() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        timer = await ctx.create_wait(Duration.from_hours(1), name="timer")
        work = await ctx.step(lambda s: "work", name="work")
        await timer.cancel()
        more = await ctx.step(lambda s: "more", name="more")
        await timer.wait()
        await timer.cancel()  # a second time: nothing to do, on the first run as on replay
        return [work, more, timer.name]

    once = await DurableTestRunner(handler).run()
    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start()
    replayed = await run.result()

    assert once.result == ["work", "more", "timer"]
    assert replayed.result == once.result
    assert replayed.invocations > 1
    assert run.operation("timer").status is OperationStatus.CANCELLED
    cancels = [e for e in await run.history() if e.EventType is EventType.WAIT_CANCELLED]
    assert len(cancels) == 1


async def test_a_wait_created_and_cancelled_in_one_go_is_started_first() -> None:
    # The service refuses a CANCEL in the call that STARTs the wait: the START goes first.
    async def handler(event: Any, ctx: DurableContext) -> str:
        timer = await ctx.create_wait(Duration.from_minutes(5))
        await timer.cancel()
        return timer.operation_id

    runner = DurableTestRunner(handler)
    run = await runner.start()
    outcome = await run.result()

    (wait,) = run.operations(type=OperationType.WAIT)
    assert outcome.result == wait.id
    assert wait.status is OperationStatus.CANCELLED


async def test_a_wait_out_of_range_is_refused_before_it_takes_an_id() -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        with pytest.raises(ValidationError, match="between 1 and 31622400 seconds"):
            await ctx.create_wait(Duration(0), name="too-short")
        return ctx.operations_started()

    assert (await DurableTestRunner(handler).run()).result == 0
