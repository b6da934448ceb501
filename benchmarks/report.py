"""Markdown tables and the target check, from the results of one run."""

from __future__ import annotations

from typing import Any

from benchmarks.boto3_compare import GUARANTEES as BOTO3_GUARANTEES
from benchmarks.format import fmt, get, kb, ratio, sizes, table
from benchmarks.local_runtime import local_table
from benchmarks.targets import net_replay_us, targets_table

_BOTO3_LABELS = {
    "steps/BATCHED": "async steps, ours BATCHED (default) vs official",
    "steps/EAGER": "async steps, ours EAGER vs official",
    "plain/BATCHED": "plain-function steps, ours BATCHED vs official",
    "plain-inline/BATCHED": "plain-function steps marked non_blocking, ours BATCHED vs official",
    "map/None": "map item, unlimited",
    "map/10": "map item, max_concurrency=10",
    "map-first/None": "map item, first map in a fresh process, unlimited",
    "map-first/10": "map item, first map in a fresh process, max_concurrency=10",
    "memory": "peak bytes per step (tracemalloc), N steps",
}


def boto3_table(results: dict[str, Any]) -> str:
    """Both SDKs through their Lambda entry points and one stand-in client: paired ratios."""
    group = results.get("boto3") or {}
    rows = []
    for key, figures in (group.get("rows") or {}).items():
        label = _BOTO3_LABELS.get(key)
        if label is None and key.startswith("replay/"):
            label = f"replay per operation, {int(key.split('/')[1]):,} operations over pages"
        ratios = figures.get("ratios") or []
        spread = f"{fmt(min(ratios))}-{fmt(max(ratios))}" if ratios else "-"
        unit = "bytes" if key == "memory" else "us"
        rows.append(
            [
                label or key,
                f"{fmt(figures.get('ours'), 2)} {unit}",
                f"{fmt(figures.get('official'), 1)} {unit}",
                fmt(figures.get("ratio")) + ("" if key != "memory" else " (ours/official)"),
                spread,
                fmt(figures.get("calls"), 0),
            ]
        )
    header = ["row", "ours", "official", "paired ratio (median)", "ratio range", "ours calls"]
    return table(header, rows)


def steps_table(results: dict[str, Any]) -> str:
    """Microseconds per step, ours per harness and kind, the official SDK's, and the ratios."""
    steps = results.get("steps") or {}
    official = results.get("official_steps") or {}
    rows = []
    for n in sizes(steps, 2):
        off_runner = get(official, f"runner/sync/{n}", "us_per_unit")
        off_direct = get(official, f"direct/sync/{n}", "us_per_unit")
        cells = [f"{n:,}"]
        for key in (
            "runner/async",
            "runner/sync",
            "direct/async",
            "direct/sync",
            "sdk/async",
            "sdk/sync",
        ):
            cells.append(fmt(get(steps, f"{key}/{n}", "us_per_unit")))
        cells += [fmt(off_runner), fmt(off_direct)]
        cells.append(fmt(ratio(off_runner, get(steps, f"runner/async/{n}", "us_per_unit"))))
        cells.append(fmt(ratio(off_direct, get(steps, f"sdk/async/{n}", "us_per_unit"))))
        rows.append(cells)
    header = [
        "N",
        "ours runner async",
        "ours runner sync",
        "ours direct async",
        "ours direct sync",
        "ours SDK-only async",
        "ours SDK-only sync",
        "official runner",
        "official direct",
        "x (runner vs runner, async)",
        "x (SDK-only vs official direct)",
    ]
    return table(header, rows)


def memory_table(results: dict[str, Any]) -> str:
    """Peak bytes per step as N grows (tracemalloc), ours and the official SDK's."""
    steps = results.get("steps") or {}
    official = results.get("official_steps") or {}
    rows = []
    for n in sizes(steps, 2):
        rows.append(
            [
                f"{n:,}",
                fmt(get(steps, f"direct/async/{n}", "bytes_per_unit"), 0),
                fmt(get(steps, f"sdk/async/{n}", "bytes_per_unit"), 0),
                fmt(get(official, f"direct/sync/{n}", "bytes_per_unit"), 0),
            ]
        )
    return table(
        ["N", "ours direct (bytes/step)", "ours SDK-only (bytes/step)", "official direct"], rows
    )


def modes_table(results: dict[str, Any]) -> str:
    """Microseconds per step and checkpoint calls per checkpoint mode (direct harness, async).

    The official SDK's calls and time per step sit beside ours: its guarantee is EAGER's outcome
    half (a SUCCEED acknowledged before the step returns).
    """
    modes = results.get("modes") or {}
    rows = []
    for n in sorted({int(key.split("/")[-1]) for key in modes}):
        cells = [f"{n:,}"]
        for mode in ("EAGER", "BATCHED", "OPTIMISTIC"):
            cells.append(fmt(get(modes, f"{mode}/{n}", "us_per_unit")))
            cells.append(str(get(modes, f"{mode}/{n}", "calls")))
        off = get(results, "official_steps", f"direct/sync/{n}")
        cells.append(str(off["calls"]) if off else "-")
        cells.append(fmt(off.get("us_per_unit")) if off else "-")
        for mode in ("EAGER", "BATCHED", "OPTIMISTIC"):
            cells.append(fmt(get(modes, f"sdk/{mode}/{n}", "us_per_unit")))
        rows.append(cells)
    header = [
        "N",
        "EAGER us/step",
        "EAGER calls",
        "BATCHED us/step",
        "BATCHED calls",
        "OPTIMISTIC us/step",
        "OPTIMISTIC calls",
        "official calls",
        "official us/step",
        "SDK-only EAGER us/step",
        "SDK-only BATCHED",
        "SDK-only OPTIMISTIC",
    ]
    return table(header, rows)


def replay_table(results: dict[str, Any]) -> str:
    """Microseconds per replayed operation, raw and net of one empty invocation, and the floor.

    "best x" is the official SDK's figure over the validated floor: the most any SDK that
    validates its input could be faster by on this machine (see ``benchmarks.replay_floor``).
    """
    replay = results.get("replay") or {}
    rows = []
    for n in sizes(replay, 1):
        ours_us = get(replay, f"ours/{n}", "us_per_unit")
        off_us = get(replay, f"official/{n}", "us_per_unit")
        floor_us = get(replay, f"floor-validated/{n}", "us_per_unit")
        ours_net = net_replay_us(results, "ours", n)
        off_net = net_replay_us(results, "official", n)
        rows.append(
            [
                f"{n:,}",
                fmt(ours_us, 2),
                fmt(off_us),
                fmt(ratio(off_us, ours_us)),
                fmt(get(replay, f"floor/{n}", "us_per_unit"), 2),
                fmt(floor_us, 2),
                fmt(ratio(off_us, floor_us)),
                fmt(ours_net, 2),
                fmt(off_net),
                fmt(ratio(off_net, ours_net)),
                fmt(ratio(off_net, floor_us)),
                fmt(get(replay, f"ours/{n}", "bytes_per_unit"), 0),
            ]
        )
    header = [
        "N",
        "ours us/op",
        "official us/op",
        "x",
        "floor us/op",
        "floor validated us/op",
        "best x",
        "ours net us/op",
        "official net us/op",
        "x (net)",
        "best x (net)",
        "ours bytes/op",
    ]
    return table(header, rows)


def concurrency_table(results: dict[str, Any]) -> str:
    """Map and parallel: microseconds and peak bytes per item, ours and official."""
    group = results.get("concurrency") or {}
    rows = []
    keys = sorted(
        {tuple(key.split("/")[1:2] + key.split("/")[3:]) for key in group},
        key=lambda k: (k[0], int(k[1]), str(k[2:])),
    )
    for key in keys:
        kind, n, *rest = key
        suffix = "/".join([n, *rest])
        runner = get(group, f"ours/{kind}/runner/{suffix}", "us_per_unit")
        direct = get(group, f"ours/{kind}/direct/{suffix}", "us_per_unit")
        sdk = get(group, f"ours/{kind}/sdk/{suffix}", "us_per_unit")
        off = get(group, f"official/{kind}/runner/{suffix}", "us_per_unit")
        off_direct = get(group, f"official/{kind}/direct/{suffix}", "us_per_unit")
        label = f"{kind} {int(n):,}" + (f", max_concurrency={rest[0]}" if rest else "")
        rows.append(
            [
                label,
                fmt(runner),
                fmt(direct),
                fmt(sdk),
                fmt(off),
                fmt(off_direct),
                fmt(ratio(off, runner)),
                fmt(ratio(off_direct, sdk)),
                kb(get(group, f"ours/{kind}/runner/{suffix}", "bytes_per_unit")),
                kb(get(group, f"official/{kind}/runner/{suffix}", "bytes_per_unit")),
            ]
        )
    header = [
        "workload",
        "ours runner us/item",
        "ours direct us/item",
        "ours SDK-only us/item",
        "official runner us/item",
        "official direct us/item",
        "x (runner vs runner)",
        "x (SDK-only vs official direct)",
        "ours KiB/item (peak, runner)",
        "official KiB/item (peak, runner)",
    ]
    return table(header, rows)


def latency_table(results: dict[str, Any]) -> str:
    """Sequential steps with slow checkpoint calls: calls, blocking round trips, wall time."""
    group = results.get("latency") or {}
    rows = []
    for label, key in (
        ("ours EAGER", "ours/EAGER"),
        ("ours BATCHED", "ours/BATCHED"),
        ("ours OPTIMISTIC", "ours/OPTIMISTIC"),
        ("official", "official"),
    ):
        figures = group.get(key)
        if figures:
            rows.append(
                [
                    label,
                    str(figures["calls"]),
                    str(figures["blocking_round_trips"]),
                    fmt(figures["seconds"] * 1e3),
                ]
            )
    return table(
        ["SDK / mode", "checkpoint calls", "blocking round trips", "end to end (ms)"], rows
    )


def fixed_table(results: dict[str, Any]) -> str:
    """Fixed cost of an empty invocation, and cold start."""
    group = results.get("fixed") or {}
    rows = []
    labels = {
        "ours": "ours (runtime deps only)",
        "ours+boto3": "ours + import boto3",
        "ours-dev": "ours (dev venv: + PyYAML)",
        "official": "official",
        "pydantic-floor": "floor: asyncio + boto3 + pydantic, one model, no SDK",
        "ours+client": "ours: handler module + import boto3 + client (issue 18)",
        "official+client": "official: handler module + import boto3 + client (issue 18)",
    }
    for who, label in labels.items():
        fixed = group.get(f"{who}/fixed") or {}
        cold = group.get(f"{who}/cold") or {}
        if not fixed and not cold:
            continue
        rows.append(
            [
                label,
                fmt(fixed.get("setup_ms"), 3),
                fmt(fixed.get("teardown_ms"), 3),
                fmt(fixed.get("total_ms"), 3),
                fmt(cold.get("import_ms")),
                fmt(cold.get("import_first_ms")),
                fmt(cold.get("first_checkpoint_ms"), 2),
                fmt(cold.get("first_send_ms"), 2),
                fmt(cold.get("process_ms")),
                fmt(cold.get("maxrss_mb")),
                kb(cold.get("peak_bytes")),
            ]
        )
    header = [
        "SDK",
        "set-up (ms)",
        "tear-down (ms)",
        "empty invocation (ms)",
        "cold import + decorate (ms)",
        "+ first empty invocation (ms)",
        "first invocation to first checkpoint handed to the client (ms)",
        "... to the request ready to send (ms)",
        "cold process (ms)",
        "max RSS (MiB)",
        "import peak (KiB, tracemalloc)",
    ]
    return table(header, rows)


def floor_table(results: dict[str, Any]) -> str:
    """The plain-Python floor, and plain step functions in a thread vs inline."""
    floor = results.get("floor") or {}
    threads = floor.get("thread_vs_inline") or {}
    rows = [
        [
            "floor: call + json.dumps + append (plain function)",
            fmt(get(floor, "sync", "us_per_unit"), 2),
        ],
        ["floor: same with an awaited async def", fmt(get(floor, "async", "us_per_unit"), 2)],
    ]
    rows += [[f"call only: {name}", fmt(value, 2)] for name, value in threads.items()]
    return table(["what", "us per unit"], rows)


GUARANTEES = """What each row compares (the guarantee a step has when its figure is taken):

- ours `BATCHED` (the default): a completed step is acknowledged by the service before the next
  side effect starts (the next step body, a submitter, the handler's return); its SUCCEED shares
  a call with the next step's START.
- ours `EAGER`: a step's START is acknowledged before its body runs and its SUCCEED before
  `await ctx.step` returns: at least the official SDK's guarantee.
- ours `OPTIMISTIC`: nothing is acknowledged before the invocation ends (weaker than the
  official SDK's; not a like-for-like row).
- official: a step's SUCCEED is acknowledged before the step returns.
- "runner" rows drive both SDKs through their in-process test runners (comparing test doubles
  as much as SDKs); "direct" and "SDK-only" rows drive the invocation with a stand-in service.
"""


def render(results: dict[str, Any]) -> str:
    """Return every table of ``results`` as one markdown document."""
    machine = results.get("machine", {})
    parts = [
        "## Machine\n",
        "\n".join(f"- {key}: {value}" for key, value in machine.items()),
        "\n## Targets\n",
        targets_table(results),
        "\n## The boto3 path: both SDKs as Lambda runs them, one stand-in client\n",
        boto3_table(results),
        "\n" + BOTO3_GUARANTEES,
        "\n## Guarantees compared (the rows below: test doubles as much as SDKs)\n",
        GUARANTEES,
        "\n## Sequential steps (us per step, BATCHED: acknowledged before the next side effect)\n",
        steps_table(results),
        "\n## Checkpoint modes (direct harness, async steps)\n",
        modes_table(results),
        "\n## Peak memory per step\n",
        memory_table(results),
        "\n## Replay\n",
        replay_table(results),
        "\n## Map and parallel\n",
        concurrency_table(results),
        "\n## Slow checkpoint calls (latency injected at the service port)\n",
        latency_table(results),
        "\n## Fixed cost and cold start\n",
        fixed_table(results),
        "\n## Floor, threads\n",
        floor_table(results),
        "\n## The local runtime (DurableTestRunner on the file store and in memory)\n",
        local_table(results),
    ]
    return "\n".join(parts) + "\n"
