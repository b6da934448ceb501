"""Clocks: the wall clock, a fake one that moves only when told, and one that skips ahead.

``FakeClock`` stands still until it is moved (tests). ``SkipClock`` runs with the wall clock but
jumps over every stretch it is asked to sleep through (``durable-lambda run --skip-time``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_FAKE_START", "FakeClock", "SkipClock", "SystemClock"]

DEFAULT_FAKE_START = datetime(2026, 1, 1, tzinfo=UTC)
"""Where a ``FakeClock`` starts unless told otherwise."""


def _aware(moment: datetime) -> datetime:
    """Read a naive datetime as UTC, so fake and real clocks compare alike."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class SystemClock:
    """The real time, in UTC; ``sleep_until`` really sleeps."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        """Sleep until ``moment``; return at once if it has passed.

        Args:
            moment: When to wake up (naive values count as UTC).
        """
        delay = (_aware(moment) - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class FakeClock:
    """A clock that moves only when told to, and jumps instead of sleeping.

    Args:
        start: The time it shows first (naive values count as UTC).

    Example:
        >>> clock = FakeClock()
        >>> clock.advance(90)
        >>> clock.now().isoformat()
        '2026-01-01T00:01:30+00:00'
    """

    def __init__(self, start: datetime = DEFAULT_FAKE_START) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        """Return the time the clock shows."""
        return self._now

    def advance(self, by: float | timedelta) -> None:
        """Move the clock forward.

        Args:
            by: Seconds, or a ``timedelta``.

        Raises:
            ValueError: ``by`` is negative: a clock never goes back.
        """
        delta = by if isinstance(by, timedelta) else timedelta(seconds=by)
        if delta < timedelta(0):
            raise ValueError(f"a clock cannot go back; got advance({by!r})")
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Show ``moment`` from now on (forward or back: tests may need either).

        Args:
            moment: The new time (naive values count as UTC).
        """
        self._now = _aware(moment)

    async def sleep_until(self, moment: datetime) -> None:
        """Jump to ``moment`` at once, if it is later than now; never go back.

        Yields to the event loop once, as a real sleep would, so other tasks get to run.

        Args:
            moment: When to wake up (naive values count as UTC).
        """
        self._now = max(self._now, _aware(moment))
        await asyncio.sleep(0)


class SkipClock:
    """The wall clock, plus every stretch it was asked to sleep through: sleeping ends at once.

    ``now`` is the real time plus all the time skipped so far, so between two jumps it runs as
    the wall clock does (a deadline that is not skipped to still comes, in real time), and it
    never goes back. The official emulator's ``--skip-time`` keeps time the same way.

    Example:
        >>> clock = SkipClock()
        >>> before = clock.now()
        >>> asyncio.run(clock.sleep_until(before + timedelta(days=3)))
        >>> clock.skipped >= timedelta(days=3) - timedelta(seconds=1)
        True
    """

    def __init__(self) -> None:
        self._skipped = timedelta(0)

    @property
    def skipped(self) -> timedelta:
        """How much time the clock has jumped over so far."""
        return self._skipped

    def now(self) -> datetime:
        """Return the real time plus the time skipped so far (UTC)."""
        return datetime.now(UTC) + self._skipped

    async def sleep_until(self, moment: datetime) -> None:
        """Jump to ``moment`` at once if it is later than now; never go back.

        Yields to the event loop once, as a real sleep would, so other tasks get to run.

        Args:
            moment: When to wake up (naive values count as UTC).
        """
        gap = _aware(moment) - self.now()
        if gap > timedelta(0):
            self._skipped += gap
        await asyncio.sleep(0)
