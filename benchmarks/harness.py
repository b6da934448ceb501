"""Timing and memory helpers shared by every workload (ours, the floor; the official script has
its own copy, since it runs in another virtual environment without this package)."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Medians over repeated runs of one workload.

    Attributes:
        seconds: The median wall time of one run.
        runs: Every run's wall time, in seconds.
        extra: Workload-specific figures of the last run (checkpoint calls, ...).
    """

    seconds: float
    runs: tuple[float, ...]
    extra: dict[str, Any]


async def time_async(
    run: Callable[[], Awaitable[dict[str, Any] | None]], repeats: int, warmup: int = 1
) -> Timing:
    """Time ``run()`` ``repeats`` times after ``warmup`` untimed runs; return the median.

    ``run`` may return a dict of extra figures (kept from the last run); an ``"elapsed"`` entry
    in it replaces the measured time, for runs that time only part of what they do. The garbage
    collector is run before each repetition and left enabled during it, as it is in production.
    """
    extra: dict[str, Any] = {}
    for _ in range(warmup):
        await run()
    runs: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        returned = await run()
        elapsed = time.perf_counter() - started
        extra = dict(returned or {})
        runs.append(extra.pop("elapsed", elapsed))
    return Timing(statistics.median(runs), tuple(runs), extra)


def time_sync(run: Callable[[], dict[str, Any] | None], repeats: int, warmup: int = 1) -> Timing:
    """Like ``time_async`` for a synchronous ``run``."""
    extra: dict[str, Any] = {}
    for _ in range(warmup):
        run()
    runs: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        returned = run()
        runs.append(time.perf_counter() - started)
        extra = returned or {}
    return Timing(statistics.median(runs), tuple(runs), extra)


async def peak_memory_async(run: Callable[[], Awaitable[Any]]) -> int:
    """Return the peak bytes Python allocated during one ``run()`` (tracemalloc), above the start.

    Measured in a run of its own: tracemalloc slows allocation down several times, so it is never
    on while timing.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        await run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - base)


def per(seconds: float, count: int) -> float:
    """Return microseconds per unit: ``seconds`` spread over ``count`` units."""
    return seconds / max(count, 1) * 1e6
