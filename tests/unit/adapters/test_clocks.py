"""The system clock and the fake clock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from durable_lambda.adapters.clock.clocks import DEFAULT_FAKE_START, FakeClock, SystemClock
from durable_lambda.core.ports import Clock


def test_both_clocks_satisfy_the_port() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FakeClock(), Clock)


def test_system_clock_tells_utc_time() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)

    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


async def test_system_clock_sleeps_until_the_moment() -> None:
    clock = SystemClock()
    started = time.monotonic()

    await clock.sleep_until(clock.now() + timedelta(milliseconds=30))

    assert time.monotonic() - started >= 0.025


async def test_system_clock_returns_at_once_for_a_past_moment() -> None:
    clock = SystemClock()
    started = time.monotonic()

    await clock.sleep_until(datetime(2000, 1, 1))

    assert time.monotonic() - started < 0.5


def test_fake_clock_starts_on_new_year_2026_by_default() -> None:
    assert FakeClock().now() == DEFAULT_FAKE_START == datetime(2026, 1, 1, tzinfo=UTC)
    assert FakeClock(datetime(2030, 5, 1)).now() == datetime(2030, 5, 1, tzinfo=UTC)


def test_fake_clock_stands_still_until_advanced() -> None:
    clock = FakeClock()

    first = clock.now()
    clock.advance(1.5)
    clock.advance(timedelta(minutes=1))

    assert clock.now() - first == timedelta(seconds=61.5)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)


def test_fake_clock_set_goes_anywhere() -> None:
    clock = FakeClock()
    moment = datetime(2025, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))

    clock.set(moment)

    assert clock.now() == moment


async def test_fake_clock_sleep_jumps_forward_instantly_and_never_back() -> None:
    clock = FakeClock()
    target = DEFAULT_FAKE_START + timedelta(days=3)
    started = time.monotonic()

    await clock.sleep_until(target)
    await clock.sleep_until(DEFAULT_FAKE_START)

    assert clock.now() == target
    assert time.monotonic() - started < 0.5


async def test_fake_clock_sleep_lets_other_tasks_run() -> None:
    clock = FakeClock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    task = asyncio.create_task(other())
    await clock.sleep_until(DEFAULT_FAKE_START)

    assert ran == ["other"]
    await task
