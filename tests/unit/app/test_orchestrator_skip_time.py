"""``LocalOrchestrator``: skipping time, and ``until="suspended"`` on an execution already waiting.

The orchestrator runs on the in-memory store here (``durable-lambda`` runs it on the file store,
tests/e2e/test_cli_lifecycle.py). With ``skip_time`` its clock is a ``SkipClock``: waits and
retries end at once, and the execution's time-out too while no callback is open, but a
callback's time-out comes in real time, so that someone may still answer it.
"""

from __future__ import annotations

import asyncio
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from durable_lambda import ValidationError
from durable_lambda.adapters.clock.clocks import SkipClock
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.service.record import ExecutionStatus
from durable_lambda.testing import FakeClock

_HANG_GUARD = 30.0  # seconds: only so that a hang fails the test instead of stalling the suite

HANDLERS = """
    from durable_lambda import (
        DurableContext, Duration, PlainJsonSerDes, WaitForCallbackConfig, durable_execution,
    )

    @durable_execution
    async def long_wait(event, ctx: DurableContext):
        await ctx.wait(Duration.from_days(3), name="cool-off")
        return "done"

    @durable_execution
    async def approval(event, ctx: DurableContext):
        await ctx.wait(Duration.from_days(1), name="overnight")
        return await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="approval",
            config=WaitForCallbackConfig(serdes=PlainJsonSerDes(), timeout=Duration.from_days(2)),
        )
"""


@pytest.fixture
def handlers(tmp_path: Path) -> Path:
    path = tmp_path / "handlers.py"
    path.write_text(textwrap.dedent(HANDLERS), encoding="utf-8")
    return path


async def test_skip_time_ends_a_three_day_wait_at_once(handlers: Path) -> None:
    orchestrator = LocalOrchestrator(InMemoryExecutionStore(), skip_time=True)
    arn = await orchestrator.start(f"{handlers}:long_wait", {})

    async with asyncio.timeout(_HANG_GUARD):
        record = await orchestrator.run(arn)

    assert record.status is ExecutionStatus.SUCCEEDED
    assert isinstance(orchestrator.clock, SkipClock)
    assert orchestrator.clock.skipped >= timedelta(days=3) - timedelta(minutes=1)


async def test_skip_time_stops_short_of_a_callbacks_time_out(handlers: Path) -> None:
    orchestrator = LocalOrchestrator(InMemoryExecutionStore(), skip_time=True)
    arn = await orchestrator.start(f"{handlers}:approval", {})

    async with asyncio.timeout(_HANG_GUARD):
        waiting = await orchestrator.run(arn, until="suspended")  # the overnight wait
        waiting = await orchestrator.run(arn, until="suspended")  # skipped: now the callback

    assert waiting.status is ExecutionStatus.RUNNING
    skipped = orchestrator.clock.skipped  # type: ignore[attr-defined]
    assert timedelta(days=1) - timedelta(minutes=1) <= skipped < timedelta(days=2)
    async with asyncio.timeout(_HANG_GUARD):
        answered = await orchestrator.run(arn, answers={"approval": "yes"})
    assert answered.status is ExecutionStatus.SUCCEEDED
    assert orchestrator.clock.skipped == skipped  # type: ignore[attr-defined]


async def test_until_suspended_returns_at_once_when_only_a_callback_answer_can_move_it_on(
    handlers: Path,
) -> None:
    orchestrator = LocalOrchestrator(InMemoryExecutionStore(), skip_time=True)
    arn = await orchestrator.start(f"{handlers}:approval", {})
    async with asyncio.timeout(_HANG_GUARD):
        await orchestrator.run(arn, until="suspended")
        await orchestrator.run(arn, until="suspended")  # the wait fired: on to the callback

        again = await orchestrator.run(arn, until="suspended")  # waited for ever before

    assert again.status is ExecutionStatus.RUNNING
    assert again.invocation_count == 2  # nothing ran


def test_a_clock_and_skip_time_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="clock or skip_time"):
        LocalOrchestrator(InMemoryExecutionStore(), clock=FakeClock(), skip_time=True)
