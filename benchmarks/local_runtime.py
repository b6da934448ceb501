"""The local runtime: a map on the file store, and loading a long execution's state for replay.

Two workloads, each through ``DurableTestRunner`` (what a user's test or ``durable-lambda run``
drives), measured at growing sizes so that the growth shows:

* ``map``: one ``ctx.map`` of ``n`` items (one doubling function each), driven to its end on
  the file store (``FileExecutionStore`` in a fresh temporary folder, every checkpoint made
  durable) and, for scale, on the in-memory store. The total wall time should grow with ``n``
  (an exponent near 1), not with ``n`` times the size of the record.
* ``steps``: ``n`` sequential steps, each checkpointed in a call of its own (the default mode
  acknowledges a step before the next one starts), on the file store and in memory: the cost of
  one checkpoint call as the record grows.
* ``replay``: an execution that completed ``n`` steps and then waits; what a replay does before
  it runs the handler is timed: the local service builds the next invocation's input (its first
  page) and the SDK reads every further page (``GetDurableExecutionState``, 1,000 operations a
  page), as ``durable_lambda.core.state.load_state`` does. On the in-memory store and the file
  store.

The figures are medians of ``repeats`` runs after one warm-up run (no warm-up for a map of 5,000
items or more).
"""

from __future__ import annotations

import asyncio
import math
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.format import fmt, table
from benchmarks.harness import per, time_async
from durable_lambda import MapConfig
from durable_lambda.adapters.file.store import FileExecutionStore
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.duration import Duration
from durable_lambda.core.state import load_state
from durable_lambda.service.ports import ExecutionStore
from durable_lambda.service.record import ExecutionRecord
from durable_lambda.testing import DurableTestRunner

__all__ = [
    "LocalSizes",
    "growth_exponent",
    "local_table",
    "measure_map",
    "measure_replay_load",
    "measure_steps",
    "run_local",
]

STORES = ("file", "memory")


@dataclass(frozen=True)
class LocalSizes:
    """The sizes of the local runtime's workloads.

    Attributes:
        map_items: Items of the map, per run.
        steps: Sequential steps, per run.
        replay_operations: Completed steps of the execution whose state is loaded.
        repeats: Timed runs per figure (the median is kept).
        large_map_repeats: Timed runs of a map of 5,000 items or more, without a warm-up run
            (slow before issue 18).
    """

    map_items: tuple[int, ...]
    steps: tuple[int, ...]
    replay_operations: tuple[int, ...]
    repeats: int
    large_map_repeats: int

    @classmethod
    def full(cls) -> LocalSizes:
        """The sizes issue 18's targets name."""
        return cls(
            map_items=(1_000, 10_000),
            steps=(500, 2_000),
            replay_operations=(1_000, 5_000, 10_000, 20_000),
            repeats=5,
            large_map_repeats=3,
        )

    @classmethod
    def quick(cls) -> LocalSizes:
        """Tiny sizes: checks that every workload still runs."""
        return cls(
            map_items=(10, 20), steps=(5, 10), replay_operations=(10, 30), repeats=1,
            large_map_repeats=1,
        )  # fmt: skip


def _store(kind: str, folder: Path) -> ExecutionStore:
    if kind == "file":
        return FileExecutionStore(folder)
    return InMemoryExecutionStore()


async def _double(ctx: DurableContext, item: int, index: int, items: object) -> int:
    return item * 2


async def _map_handler(event: dict[str, Any], ctx: DurableContext) -> int:
    result = await ctx.map(list(range(event["n"])), _double, name="map", config=MapConfig())
    return len(result.get_results())


async def _one(step: StepContext) -> int:
    return 1


async def _steps_then_wait(event: dict[str, Any], ctx: DurableContext) -> int:
    for i in range(event["n"]):
        await ctx.step(_one, name=f"s{i}")
    await ctx.wait(Duration.from_hours(1), name="wait")
    return int(event["n"])


async def _in_folder(run: Callable[[Path], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="dl-bench-local-"))
    try:
        return await run(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _map_once(store_kind: str, n: int) -> dict[str, Any]:
    async def run(folder: Path) -> dict[str, Any]:
        runner = DurableTestRunner(_map_handler, store=_store(store_kind, folder))
        started = time.perf_counter()
        execution = await runner.start({"n": n})
        result = await execution.result()
        elapsed = time.perf_counter() - started
        assert result.status == "SUCCEEDED", result
        return {
            "elapsed": elapsed,
            "calls": execution.checkpoint_calls,
            "invocations": result.invocations,
        }

    return await _in_folder(run)


async def measure_map(store_kind: str, n: int, repeats: int, warmup: int = 1) -> dict[str, Any]:
    """Time a map of ``n`` items driven to its end through the runner on ``store_kind``."""
    timing = await time_async(lambda: _map_once(store_kind, n), repeats, warmup)
    return {
        "seconds": timing.seconds,
        "runs": list(timing.runs),
        "us_per_unit": per(timing.seconds, n),
        **timing.extra,
    }


async def _steps(event: dict[str, Any], ctx: DurableContext) -> int:
    for i in range(event["n"]):
        await ctx.step(_one, name=f"s{i}")
    return int(event["n"])


async def _steps_once(store_kind: str, n: int) -> dict[str, Any]:
    async def run(folder: Path) -> dict[str, Any]:
        runner = DurableTestRunner(_steps, store=_store(store_kind, folder))
        started = time.perf_counter()
        execution = await runner.start({"n": n})
        result = await execution.result()
        elapsed = time.perf_counter() - started
        assert result.status == "SUCCEEDED", result
        return {"elapsed": elapsed, "calls": execution.checkpoint_calls}

    return await _in_folder(run)


async def measure_steps(store_kind: str, n: int, repeats: int) -> dict[str, Any]:
    """Time ``n`` sequential steps driven to their end through the runner on ``store_kind``."""
    timing = await time_async(lambda: _steps_once(store_kind, n), repeats)
    return {
        "seconds": timing.seconds,
        "runs": list(timing.runs),
        "us_per_unit": per(timing.seconds, n),
        **timing.extra,
    }


async def _suspended_execution(n: int) -> ExecutionRecord:
    """Return the record of an execution that completed ``n`` steps and now waits."""
    runner = DurableTestRunner(_steps_then_wait)
    execution = await runner.start({"n": n})
    output = await execution.drive_once()
    assert output is not None, "the execution did not run"
    assert output.Status.value == "PENDING", output
    return await runner.local_service.get_record(execution.arn)


async def measure_replay_load(store_kind: str, n: int, repeats: int) -> dict[str, Any]:
    """Time loading the state of an execution of ``n`` completed steps, as a replay does.

    The execution is made in memory, then stored in a new store of ``store_kind`` (so that
    making it is not part of what the file store is measured on), and a runner over that store
    loads its state: the next invocation's input, then every further page.
    """
    record = await _suspended_execution(n)

    async def run(folder: Path) -> dict[str, Any]:
        store = _store(store_kind, folder)
        await store.create(record)
        runner = DurableTestRunner(_steps_then_wait, store=store)
        service = runner.local_service
        pages = 0

        async def load() -> dict[str, Any]:
            nonlocal pages
            started = time.perf_counter()
            invocation = await service.invocation_input(record.arn)
            state = await load_state(invocation, runner.counting_service)
            elapsed = time.perf_counter() - started
            # The EXECUTION operation, n steps and the wait.
            assert len(state) == n + 2, len(state)
            pages = 1 + (n + 2 - len(invocation.InitialExecutionState.Operations) + 999) // 1000
            return {"elapsed": elapsed}

        timing = await time_async(load, repeats)
        return {
            "seconds": timing.seconds,
            "runs": list(timing.runs),
            "us_per_unit": per(timing.seconds, n),
            "pages": pages,
        }

    return await _in_folder(run)


def growth_exponent(small: tuple[int, float], large: tuple[int, float]) -> float | None:
    """Return ``k`` in ``time ~ n**k`` between two (n, seconds) points; None if unusable."""
    (n1, t1), (n2, t2) = small, large
    if n1 <= 0 or n2 <= n1 or t1 <= 0 or t2 <= 0:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def run_local(sizes: LocalSizes, progress: Callable[[str], None]) -> dict[str, Any]:
    """Run the local runtime's workloads; return their figures, keyed ``<workload>/<store>/<n>``."""
    results: dict[str, Any] = {}
    for store_kind in STORES:
        for n in sizes.map_items:
            progress(f"local map {store_kind} n={n}")
            large = n >= 5_000
            repeats = sizes.large_map_repeats if large else sizes.repeats
            results[f"map/{store_kind}/{n}"] = asyncio.run(
                measure_map(store_kind, n, repeats, warmup=0 if large else 1)
            )
    for store_kind in STORES:
        for n in sizes.steps:
            progress(f"local steps {store_kind} n={n}")
            results[f"steps/{store_kind}/{n}"] = asyncio.run(
                measure_steps(store_kind, n, sizes.repeats)
            )
    for store_kind in STORES:
        for n in sizes.replay_operations:
            progress(f"local replay state {store_kind} n={n}")
            results[f"replay/{store_kind}/{n}"] = asyncio.run(
                measure_replay_load(store_kind, n, sizes.repeats)
            )
    return results


# -- report ---------------------------------------------------------------------------------

MAP_GOAL_SECONDS = 10.0
"""Issue 18: a 10,000-item map on the file store in under 10 s."""
MAX_EXPONENT = 1.15
"""Issue 18: total time grows with n to at most this power (1 is linear)."""


def _exponent(group: dict[str, Any], prefix: str) -> tuple[float | None, str]:
    """The growth exponent between the smallest and largest ``n`` of ``prefix``, and the span."""
    points = sorted(
        (int(key.rsplit("/", 1)[1]), figures["seconds"])
        for key, figures in group.items()
        if key.startswith(prefix)
    )
    if len(points) < 2:
        return None, ""
    return growth_exponent(points[0], points[-1]), f"{points[0][0]:,} to {points[-1][0]:,}"


def _verdict(value: float | None, ok: bool) -> str:
    return "-" if value is None else ("met" if ok else "NOT met")


def local_table(results: dict[str, Any]) -> str:
    """The local runtime: the map and the replay state loading, and issue 18's targets."""
    group: dict[str, Any] = results.get("local") or {}
    if not group:
        return "(not measured in this run)"
    maps = sorted({int(key.split("/")[2]) for key in group if key.startswith("map/")})
    map_rows = []
    for n in maps:
        file, memory = group.get(f"map/file/{n}") or {}, group.get(f"map/memory/{n}") or {}
        map_rows.append(
            [
                f"{n:,}",
                fmt(file.get("seconds"), 3),
                fmt(file.get("us_per_unit")),
                fmt(memory.get("seconds"), 3),
                fmt(memory.get("us_per_unit")),
                str(file.get("calls", "-")),
            ]
        )
    steps = sorted({int(key.split("/")[2]) for key in group if key.startswith("steps/")})
    step_rows = []
    for n in steps:
        file, memory = group.get(f"steps/file/{n}") or {}, group.get(f"steps/memory/{n}") or {}
        step_rows.append(
            [
                f"{n:,}",
                fmt(file.get("seconds"), 3),
                fmt(file.get("us_per_unit")),
                fmt(memory.get("us_per_unit")),
                str(file.get("calls", "-")),
            ]
        )
    replays = sorted({int(key.split("/")[2]) for key in group if key.startswith("replay/")})
    replay_rows = []
    for n in replays:
        memory, file = group.get(f"replay/memory/{n}") or {}, group.get(f"replay/file/{n}") or {}
        replay_rows.append(
            [
                f"{n:,}",
                fmt(memory.get("seconds", 0) * 1e3, 2),
                fmt(memory.get("us_per_unit"), 2),
                fmt(file.get("seconds", 0) * 1e3, 2),
                fmt(file.get("us_per_unit"), 2),
                str(memory.get("pages", "-")),
            ]
        )
    big_map = (group.get("map/file/10000") or {}).get("seconds")
    map_exponent, map_span = _exponent(group, "map/file/")
    steps_exponent, steps_span = _exponent(group, "steps/file/")
    replay_exponent, replay_span = _exponent(group, "replay/memory/")
    file_replay_exponent, file_replay_span = _exponent(group, "replay/file/")
    targets = [
        [
            "10,000-item map on the file store (s)",
            fmt(big_map, 2),
            f"< {MAP_GOAL_SECONDS:g}",
            _verdict(big_map, big_map is not None and big_map < MAP_GOAL_SECONDS),
        ],
        [
            f"growth exponent of the file-store map, {map_span or '-'}",
            fmt(map_exponent, 2),
            f"<= {MAX_EXPONENT}",
            _verdict(map_exponent, map_exponent is not None and map_exponent <= MAX_EXPONENT),
        ],
        [
            f"growth exponent of sequential steps on the file store, {steps_span or '-'}",
            fmt(steps_exponent, 2),
            f"<= {MAX_EXPONENT} (a checkpoint's cost does not grow with the record)",
            _verdict(steps_exponent, steps_exponent is not None and steps_exponent <= MAX_EXPONENT),
        ],
        [
            f"growth exponent of replay state loading (runner, in memory), {replay_span or '-'}",
            fmt(replay_exponent, 2),
            f"<= {MAX_EXPONENT} (linear)",
            _verdict(
                replay_exponent, replay_exponent is not None and replay_exponent <= MAX_EXPONENT
            ),
        ],
        [
            f"growth exponent of replay state loading (file store), {file_replay_span or '-'}",
            fmt(file_replay_exponent, 2),
            f"<= {MAX_EXPONENT} (linear)",
            _verdict(
                file_replay_exponent,
                file_replay_exponent is not None and file_replay_exponent <= MAX_EXPONENT,
            ),
        ],
    ]
    return "\n\n".join(
        [
            table(["target", "measured", "goal", "verdict"], targets),
            "One map of N items (one function each) driven to its end by DurableTestRunner:",
            table(
                [
                    "N",
                    "file store (s)",
                    "file us/item",
                    "in memory (s)",
                    "in memory us/item",
                    "checkpoint calls",
                ],
                map_rows,
            ),
            "N sequential steps (one checkpoint call each) driven to their end by "
            "DurableTestRunner:",
            table(
                ["N", "file store (s)", "file us/step", "in memory us/step", "checkpoint calls"],
                step_rows,
            ),
            "Loading the state of N completed steps as a replay does (the invocation input, "
            "then every page of 1,000 through GetDurableExecutionState):",
            table(
                ["N", "in memory (ms)", "us/op", "file store (ms)", "us/op", "pages"],
                replay_rows,
            ),
        ]
    )
