"""``SkipClock``: the wall clock, jumping over every sleep (``durable-lambda run --skip-time``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from durable_lambda.adapters.clock.clocks import SkipClock
from durable_lambda.app.container import local_container
from durable_lambda.core.ports import Clock


def test_it_satisfies_the_port_and_the_container_builds_it_by_name() -> None:
    assert isinstance(SkipClock(), Clock)
    assert type(local_container(clock="skip").clock()) is SkipClock


async def test_a_sleep_ends_at_once_with_the_clock_moved_past_it() -> None:
    clock = SkipClock()
    target = clock.now() + timedelta(days=3)

    await clock.sleep_until(target)

    assert clock.now() >= target
    assert clock.skipped >= timedelta(days=3) - timedelta(seconds=5)
    assert clock.now() - datetime.now(UTC) >= timedelta(days=3) - timedelta(seconds=5)


async def test_it_never_goes_back_and_runs_with_the_wall_clock_between_jumps() -> None:
    clock = SkipClock()
    await clock.sleep_until(clock.now() + timedelta(hours=1))
    skipped = clock.skipped
    first = clock.now()

    await clock.sleep_until(first - timedelta(hours=2))  # in its past: nothing to skip
    await clock.sleep_until(datetime(2000, 1, 1))  # naive values count as UTC

    assert clock.skipped == skipped
    assert clock.now() >= first
    assert clock.now().tzinfo is not None
