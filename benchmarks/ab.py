"""Before and after: the same readings of two source trees, in interleaved processes, paired.

``python -m benchmarks.ab BEFORE_TREE [--rounds 7]`` measures this tree and another checkout of
the project (say ``git worktree add /tmp/before <commit>``) in turns: each round runs one process
per tree (the order alternating), each process measuring every reading once (a median of its
repeats). A reading's verdict is the median over rounds of after / before, with its range: on a
machine shared with other jobs, two figures taken seconds apart are comparable where two runs
minutes apart are not.

Readings are CPU time of the measuring process (``time.process_time``), for single-threaded
workloads of the in-process harnesses (``benchmarks.ours``): less sensitive than wall time to
the other jobs on the machine. With ``--cold``, each round also cold-starts both trees as issue
18 measures it (``benchmarks.fixed.ours_client_variant``), in the runtime environment.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


async def _cpu(run: Callable[[], Awaitable[Any]], n: int, repeats: int = 7) -> float:
    await run()
    runs = []
    for _ in range(repeats):
        gc.collect()
        started = time.process_time()
        await run()
        runs.append((time.process_time() - started) / n * 1e6)
    return statistics.median(runs)


async def _readings() -> dict[str, float]:
    """Measure every reading once in this process (the tree on ``sys.path``)."""
    from benchmarks import ours
    from durable_lambda.core.execution import parse_invocation_input

    steps = ours.steps_handler("async")
    event = ours.replay_event(10_000)
    return {
        "SDK-only steps, BATCHED (us/step)": await _cpu(
            lambda: ours.run_sdk_only(steps, {"n": 1000}, "BATCHED"), 1000
        ),
        "SDK-only steps, EAGER (us/step)": await _cpu(
            lambda: ours.run_sdk_only(steps, {"n": 1000}, "EAGER"), 1000
        ),
        "SDK-only map of 1,000 (us/item)": await _cpu(
            lambda: ours.run_sdk_only(ours.map_handler(None), {"n": 1000}, "BATCHED"), 1000
        ),
        "replay of 10,000 (us/op)": await _cpu(
            lambda: ours.invoke(
                steps, parse_invocation_input(event), ours.NullService(), "BATCHED"
            ),
            10_000,
        ),
        "direct steps, local service (us/step)": await _cpu(
            lambda: ours.run_direct(steps, {"n": 1000}, "BATCHED"), 1000
        ),
        "runner steps (us/step)": await _cpu(
            lambda: ours.run_with_runner(steps, {"n": 1000}, "BATCHED"), 1000
        ),
    }


def _measure(tree: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.ab", "--measure"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"measuring {tree} failed:\n{completed.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def _cold(tree: Path, python: str) -> dict[str, float]:
    from benchmarks import fixed

    variant = fixed.ours_client_variant("ours", python)
    code = variant.body + fixed._COLD_REPORT.format(first_call=variant.first_call)
    env = {**os.environ, **variant.env, "PYTHONPATH": str(tree)}
    completed = subprocess.run(
        [python, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "cold: handler module + boto3 + client (ms)": report["import_s"] * 1e3,
        "cold: first invocation to first checkpoint (ms)": report["first_checkpoint_s"] * 1e3,
    }


def compare(before: Path, rounds: int, cold: bool) -> str:
    """Run ``rounds`` interleaved rounds; return a markdown table of the paired verdicts."""
    trees = {"before": before.resolve(), "after": ROOT}
    python = ""
    if cold:
        from benchmarks import fixed
        from benchmarks.official import ensure_runtime_python

        python = str(ensure_runtime_python())
        for tree in trees.values():
            subprocess.run(
                [python, "-m", "compileall", "-q", str(tree / "durable_lambda")],
                capture_output=True,
                check=True,
            )
        del fixed
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for index in range(rounds):
        order = list(trees) if index % 2 == 0 else list(reversed(trees))
        for name in order:
            print(f"round {index + 1}/{rounds}: {name}", file=sys.stderr, flush=True)
            reading = _measure(trees[name])
            if cold:
                reading |= _cold(trees[name], python)
            figures[name].append(reading)
    lines = [
        "| reading | before | after | after / before (paired median) | range |",
        "|---|---|---|---|---|",
    ]
    for key in figures["after"][0]:
        old = [round_[key] for round_ in figures["before"]]
        new = [round_[key] for round_ in figures["after"]]
        ratios = [a / b for a, b in zip(new, old, strict=True)]
        lines.append(
            f"| {key} | {statistics.median(old):.2f} | {statistics.median(new):.2f} "
            f"| {statistics.median(ratios):.3f} | {min(ratios):.2f}-{max(ratios):.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Compare this tree with another (or, with ``--measure``, measure the tree on the path)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__)
    parser.add_argument("before", nargs="?", type=Path, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="cold-start both trees too")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(asyncio.run(_readings())))
        return 0
    if args.before is None:
        parser.error("give the other tree")
    print(compare(args.before, args.rounds, args.cold))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
