"""The time axis of the HTML timeline: linear while code runs, compressed while nothing does.

An execution that waits a day between invocations of a few milliseconds cannot be drawn on one
linear axis: every operation but the wait would be a sliver at either end. Code runs only inside
the handler's invocations, so the axis gives the invocations the room (each at least a minimum
width, linear inside), and draws every long stretch between them, when the execution only
waited, as a band of fixed width that names how long it lasted. Without invocations to go by, or
with no stretch long enough to matter, the axis is linear.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Piece", "TimeScale"]

IDLE_WIDTH = 64.0
"""The width of a compressed idle stretch, in pixels."""

MIN_ACTIVE_WIDTH = 28.0
"""The least width an invocation gets, however short it was."""

MIN_IDLE_SECONDS = 1.0
"""A stretch between invocations shorter than this is drawn to scale."""


@dataclass(frozen=True)
class Piece:
    """A stretch of time and the stretch of the axis that draws it.

    Attributes:
        start: When it begins.
        end: When it ends.
        left: Its left edge, in pixels from the axis's start.
        right: Its right edge.
        idle: True for a compressed stretch between invocations.
    """

    start: datetime
    end: datetime
    left: float
    right: float
    idle: bool

    @property
    def seconds(self) -> float:
        """How long the stretch lasted."""
        return (self.end - self.start).total_seconds()


class TimeScale:
    """Maps moments to x positions; compresses the idle stretches between invocations.

    Args:
        start: The first moment drawn.
        end: The last moment drawn.
        active: When code ran (the invocations), in any order; may overlap or be empty.
        width: The width the axis should fill, in pixels; it grows when the minimum widths of
            many invocations need more.
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        active: Sequence[tuple[datetime, datetime]],
        width: float,
    ) -> None:
        self.start = start
        self.end = max(end, start)
        spans = _stretches(self.start, self.end, active)
        busy = sum((b - a).total_seconds() for a, b, is_active in spans if is_active)
        threshold = max(MIN_IDLE_SECONDS, busy)
        idle = [not is_active and (b - a).total_seconds() > threshold for a, b, is_active in spans]
        self.pieces = _lay_out(spans, idle, width)
        self.width = self.pieces[-1].right if self.pieces else width
        self._starts = [piece.start for piece in self.pieces]

    @property
    def compressed(self) -> bool:
        """Whether any stretch is drawn shorter than to scale."""
        return any(piece.idle for piece in self.pieces)

    def x(self, moment: datetime) -> float:
        """Return the x position of ``moment`` (clamped to the axis)."""
        if not self.pieces or moment <= self.start:
            return 0.0
        if moment >= self.end:
            return self.width
        piece = self.pieces[max(0, bisect_right(self._starts, moment) - 1)]
        seconds = piece.seconds
        fraction = (moment - piece.start).total_seconds() / seconds if seconds > 0 else 0.0
        return piece.left + fraction * (piece.right - piece.left)


def _stretches(
    start: datetime, end: datetime, active: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime, bool]]:
    """Split [start, end] into active and inactive stretches, in order, none empty."""
    merged: list[list[datetime]] = []
    for a, b in sorted((max(a, start), min(b, end)) for a, b in active):
        if b < a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if not merged:
        return [(start, end, True)]
    stretches: list[tuple[datetime, datetime, bool]] = []
    cursor = start
    for a, b in merged:
        if a > cursor:
            stretches.append((cursor, a, False))
        stretches.append((a, b, True))
        cursor = b
    if end > cursor:
        stretches.append((cursor, end, False))
    return stretches


def _lay_out(
    spans: list[tuple[datetime, datetime, bool]], idle: list[bool], width: float
) -> list[Piece]:
    """Give each stretch its width in pixels.

    Idle stretches get a fixed width; the others share the rest to scale, each at least its
    minimum (an invocation's).
    """
    minimum = [
        IDLE_WIDTH if is_idle else MIN_ACTIVE_WIDTH if is_active else 0.0
        for (_, _, is_active), is_idle in zip(spans, idle, strict=True)
    ]
    width = max(width, sum(minimum))
    seconds = [
        0.0 if is_idle else (b - a).total_seconds()
        for (a, b, _), is_idle in zip(spans, idle, strict=True)
    ]
    # Share out what the fixed and minimum widths leave, to scale; a stretch whose share falls
    # below its minimum takes the minimum and leaves the share of the others.
    fixed = list(idle)
    while True:
        room = width - sum(m for m, f in zip(minimum, fixed, strict=True) if f)
        total = sum(s for s, f in zip(seconds, fixed, strict=True) if not f)
        shares = [
            minimum[i] if fixed[i] else (room * seconds[i] / total if total > 0 else 0.0)
            for i in range(len(spans))
        ]
        short = [i for i in range(len(spans)) if not fixed[i] and shares[i] < minimum[i]]
        if not short:
            break
        for i in short:
            fixed[i] = True
    if total <= 0:  # nothing to scale: spread the room over the unfixed stretches evenly
        free = [i for i in range(len(spans)) if not fixed[i]]
        for i in free:
            shares[i] = room / len(free)
    pieces: list[Piece] = []
    left = 0.0
    for (a, b, _), share, is_idle in zip(spans, shares, idle, strict=True):
        pieces.append(Piece(a, b, left, left + share, is_idle))
        left += share
    return pieces
