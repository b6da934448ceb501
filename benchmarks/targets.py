"""Issue 18's targets, evaluated on the results of one run.

The ones that compare SDKs use the boto3-path comparison (``benchmarks.boto3_compare``): both
SDKs through their Lambda entry points with one stand-in boto3 client, paired ratios of the same
run. Issue 6's floor-bounded readings (replay at 10,000 against a validated floor, replay net of
the fixed cost, cold start with pydantic as it was) are retired; the runner-versus-runner rows
stay as information, since they compare two test doubles as much as two SDKs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.format import fmt, get, ratio, sizes, table


@dataclass(frozen=True)
class Target:
    """One target of the issue, the figure measured against it, and whether it is met."""

    name: str
    measured: str
    met: bool | None
    detail: str = ""
    """The figures behind the ratio (ours against the official SDK's)."""


def net_replay_us(results: dict[str, Any], sdk: str, n: int) -> float | None:
    """Microseconds per replayed operation of ``sdk`` at ``n`` (test-double harness), net of its
    empty invocation."""
    seconds = get(results, "replay", f"{sdk}/{n}", "seconds")
    fixed_ms = get(results, "fixed", f"{sdk}/fixed", "total_ms")
    if seconds is None or fixed_ms is None:
        return None
    return float((seconds - fixed_ms / 1e3) / n * 1e6)


def _boto3_targets(results: dict[str, Any], add: Callable[..., None]) -> None:
    group = results.get("boto3") or {}
    found = group.get("rows") or {}
    n_steps = group.get("n_steps", 0)
    n_map = group.get("n_map", 0)

    def row(key: str, name: str, times: float, unit: str = "us") -> None:
        figures = found.get(key) or {}
        value = figures.get("ratio")
        detail = f"{fmt(figures.get('ours'), 1)} vs {fmt(figures.get('official'), 1)} {unit}"
        add(name, value, lambda v: v >= times, "x", detail)

    row("steps/BATCHED", f"per async step, default mode (BATCHED), N={n_steps:,}: >= 30x", 30)
    row("steps/EAGER", f"per async step, EAGER, N={n_steps:,}: >= 20x", 20)
    row("plain/BATCHED", f"per plain-function step, default mode, N={n_steps:,}: >= 30x", 30)
    row(
        "plain-inline/BATCHED",
        f"per plain-function step marked non-blocking, default mode, N={n_steps:,}: >= 30x",
        30,
    )
    row("map/None", f"per map item, {n_map:,} items, unlimited: >= 20x", 20)
    row("map/10", f"per map item, {n_map:,} items, max_concurrency=10: >= 20x", 20)
    row("map-first/None", f"first map in a fresh process, {n_map:,} items, unlimited: >= 20x", 20)
    row("map-first/10", f"first map in a fresh process, {n_map:,} items, max 10: >= 20x", 20)
    for n in group.get("replay") or ():
        row(f"replay/{n}", f"replay per operation, {n:,} operations over pages: >= 12x", 12)
    memory = found.get("memory") or {}
    add(
        f"memory per step retained (peak / N, N={n_steps:,}), ours / official: <= 1x",
        memory.get("ratio"),
        lambda v: v <= 1,
        "x",
        f"{fmt(memory.get('ours'), 0)} vs {fmt(memory.get('official'), 0)} bytes",
    )


def _cold_targets(results: dict[str, Any], add: Callable[..., None]) -> None:
    from benchmarks.fixed import paired_ratio

    fixed = results.get("fixed") or {}
    mine = fixed.get("ours+client/cold") or {}
    theirs = fixed.get("official+client/cold") or {}
    ours, official = mine.get("import_ms"), theirs.get("import_ms")
    # Paired by round (the processes take turns), as the boto3 rows are; medians beside it.
    add(
        "cold start: handler module + import boto3 + creating the client, ours / official: <= 1x",
        paired_ratio(mine, theirs, "import_s") or ratio(ours, official),
        lambda v: v <= 1,
        "x",
        f"{fmt(ours)} vs {fmt(official)} ms",
    )
    ours_first = mine.get("first_checkpoint_ms")
    official_first = theirs.get("first_checkpoint_ms")
    add(
        "first invocation to its first checkpoint, ours / official: <= 0.7x",
        paired_ratio(mine, theirs, "first_checkpoint_s") or ratio(ours_first, official_first),
        lambda v: v <= 0.7,
        "x",
        f"{fmt(ours_first, 2)} vs {fmt(official_first, 2)} ms",
    )


def _kept_targets(results: dict[str, Any], add: Callable[..., None]) -> None:
    """Earlier targets kept: the runner rows (test doubles as much as SDKs) and two absolutes."""
    steps = results.get("steps") or {}
    official = results.get("official_steps") or {}
    n = 1_000 if 1_000 in sizes(official, 2) else max(sizes(official, 2) or [0])
    off = get(official, f"runner/sync/{n}", "us_per_unit")
    mine = get(steps, f"runner/async/{n}", "us_per_unit")
    add(
        f"per step vs official, runner vs runner (test doubles), N={n:,}: >= 50x",
        ratio(off, mine),
        lambda v: v >= 50,
        "x",
        f"{fmt(mine)} vs {fmt(off)} us",
    )
    group = results.get("concurrency") or {}
    items = 1_000 if "official/map/runner/1000/None" in group else 10
    for concurrency in ("None", "10"):
        off = get(group, f"official/map/runner/{items}/{concurrency}", "us_per_unit")
        mine = get(group, f"ours/map/runner/{items}/{concurrency}", "us_per_unit")
        add(
            f"per map item, runner vs runner (test doubles), {items:,} items, "
            f"max_concurrency={concurrency}: >= 20x",
            ratio(off, mine),
            lambda v: v >= 20,
            "x",
            f"{fmt(mine)} vs {fmt(off)} us",
        )
    add(
        "OPTIMISTIC sequential at-least-once steps: <= 2 blocking round trips",
        get(results, "latency", "ours/OPTIMISTIC", "blocking_round_trips"),
        lambda v: v <= 2,
        "",
    )
    add(
        "fixed cost per warm invocation < 2 ms",
        get(results, "fixed", "ours/fixed", "total_ms"),
        lambda v: v < 2,
        " ms",
    )


def targets(results: dict[str, Any]) -> list[Target]:
    """Evaluate the targets on ``results`` (None: not measured in this run)."""
    found: list[Target] = []

    def add(
        name: str,
        value: float | None,
        ok: Callable[[float], bool],
        unit: str,
        detail: str = "",
    ) -> None:
        found.append(
            Target(
                name,
                "-" if value is None else f"{fmt(value, 2)}{unit}",
                None if value is None else ok(value),
                detail if value is not None else "",
            )
        )

    _boto3_targets(results, add)
    _cold_targets(results, add)
    _kept_targets(results, add)
    return found


def targets_table(results: dict[str, Any]) -> str:
    """The targets as a table: met, not met, or not measured."""
    rows = [
        [t.name, t.measured, {True: "met", False: "NOT met", None: "-"}[t.met], t.detail or "-"]
        for t in targets(results)
    ]
    return table(["target", "measured", "verdict", "ours vs official"], rows)
