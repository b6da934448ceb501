"""The boto3-path comparison: both SDKs as Lambda runs them, one stand-in client, paired rounds.

Each round starts one process per SDK (``boto3_workloads.py``; ours with durable-lambda's runtime
dependencies only, the official SDK in its own environment, both on this interpreter's Python)
that runs every warm job, plus one fresh process per SDK and map size for the first map of a
cold sandbox. The SDKs take turns, first one then the other, so that a busy moment of the
(shared) machine falls on both. Per round each job's figure is its median over the repeats; a row
reports the median over rounds of each SDK's figure and the median of the rounds' ratios (a paired
ratio: both figures of a round were measured within seconds of each other).

What each row compares, and what is acknowledged when, is in ``GUARANTEES``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "boto3_workloads.py"

GUARANTEES = """Rows of the boto3-path comparison, and what each SDK has acknowledged when:

- ours BATCHED (the default): a completed step is acknowledged by the service before the next
  side effect starts (the next step body, a submitter, the handler's return); its SUCCEED shares
  a call with the next step's START. Each step waits for one call.
- ours EAGER: a step's START is acknowledged before its body runs and its SUCCEED before
  `await ctx.step` returns: two calls a step, at least the official SDK's guarantee.
- official: a step's SUCCEED is acknowledged before `ctx.step` returns (one call a step).
- plain-function steps: ours runs an unmarked plain body in a worker thread (two thread
  hand-overs a step: the body may block without stalling other branches); a body marked
  `durable_lambda.non_blocking` runs inline on the event loop's thread. The official SDK calls
  its plain step functions inline on the handler's thread, so the marked row compares like for
  like; the unmarked row pays for a guarantee the official SDK does not give.
- map: each item is a child context (its START and SUCCEED, the item's result in the SUCCEED),
  the function doubling the item; every item's outcome and the map's own are acknowledged
  before the map returns, in both SDKs. Ours calls on its sender thread here (other items run
  meanwhile), the official SDK through its checkpointing thread.
- replay: no call is made; the state beyond the first 1,000 operations is read through the
  client, a page of 1,000 at a time, by both SDKs. The figure is per replayed operation, net of
  the same invocation with nothing to replay (each SDK's fixed cost, the official SDK's 100 ms
  end-of-invocation poll among it).
- memory: tracemalloc's peak during one warm invocation of N steps, over N (lower is better:
  the ratio is ours over the official SDK's).
Both SDKs run through their Lambda entry points (`handler(event, lambda_context)`) with the same
JSON event and the same stand-in boto3 client (`benchmarks/null_lambda_client.py`).
"""


@dataclass(frozen=True)
class Row:
    """One row: which job of each SDK, how it is reduced to a per-unit figure."""

    key: str
    label: str
    ours: str
    official: str
    unit: str = "us"


def _jobs(n_steps: int, n_map: int, replay: tuple[int, ...], repeats: int) -> dict[str, Any]:
    ours = [
        {"name": "steps/BATCHED", "kind": "steps", "n": n_steps, "mode": "BATCHED"},
        {"name": "steps/EAGER", "kind": "steps", "n": n_steps, "mode": "EAGER"},
        {"name": "plain/BATCHED", "kind": "plain", "n": n_steps, "mode": "BATCHED"},
        {"name": "plain-inline/BATCHED", "kind": "plain-inline", "n": n_steps, "mode": "BATCHED"},
    ]
    official = [{"name": "steps", "kind": "steps", "n": n_steps}]
    shared: list[dict[str, Any]] = []
    for concurrency in (None, 10):
        shared.append(
            {"name": f"map/{concurrency}", "kind": "map", "n": n_map, "concurrency": concurrency}
        )
    for n in (0, *replay):
        shared.append({"name": f"replay/{n}", "kind": "replay", "n": n})
    shared.append({"name": "memory", "kind": "memory", "n": n_steps})
    for job in ours + official + shared:
        job.setdefault("repeats", repeats)
    return {"ours": ours + shared, "official": official + shared}


def _run(python: str, sdk: str, jobs: list[dict[str, Any]], env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [python, str(SCRIPT), json.dumps({"sdk": sdk, "jobs": jobs})],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
        timeout=1800,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"boto3-path {sdk} jobs failed:\n{completed.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def compare(
    ours_python: str,
    official_python: str | None,
    *,
    rounds: int,
    repeats: int,
    n_steps: int = 1_000,
    n_map: int = 1_000,
    replay: tuple[int, ...] = (1_000, 10_000),
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run ``rounds`` paired rounds; return every round's raw figures and the rows."""
    jobs = _jobs(n_steps, n_map, replay, repeats)
    # Both as on Lambda, whose runtime sets the function's name (ours reads it, see
    # app/lambda_handler.py).
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "bench"}
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT), **lambda_env}
    official_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | lambda_env
    sides: dict[str, tuple[str, dict[str, str]]] = {"ours": (ours_python, ours_env)}
    if official_python is not None:
        sides["official"] = (official_python, official_env)
    raw: list[dict[str, Any]] = []
    for index in range(rounds):
        order = list(sides) if index % 2 == 0 else list(reversed(sides))
        figures: dict[str, Any] = {}
        for sdk in order:
            python, env = sides[sdk]
            progress(f"boto3 path round {index + 1}/{rounds}: {sdk}")
            figures[sdk] = _run(python, sdk, jobs[sdk], env)
            for concurrency in (None, 10):
                first = {
                    "name": "first",
                    "kind": "map",
                    "n": n_map,
                    "concurrency": concurrency,
                    "first": True,
                }
                figures[sdk][f"map-first/{concurrency}"] = _run(python, sdk, [first], env)["first"]
        raw.append(figures)
    return {
        "n_steps": n_steps,
        "n_map": n_map,
        "replay": list(replay),
        "rounds": raw,
        "rows": rows(raw, n_steps, n_map, replay),
    }


def _per_unit(side: dict[str, Any], job: str, n: int) -> float | None:
    """Microseconds per unit of a job in one round's figures (None when it did not run)."""
    if job.startswith("replay/"):
        empty, full = side.get("replay/0"), side.get(job)
        if empty is None or full is None or n == 0:
            return None
        return float((full["median"] - empty["median"]) / n * 1e6)
    if job == "memory":
        figures = side.get(job)
        return None if figures is None else float(figures["peak_bytes"] / n)
    figures = side.get(job)
    if figures is None:
        return None
    seconds = figures["first"] if job.startswith("map-first/") else figures["median"]
    return float(seconds / n * 1e6)


def rows(
    raw: list[dict[str, Any]], n_steps: int, n_map: int, replay: tuple[int, ...]
) -> dict[str, dict[str, Any]]:
    """Reduce the rounds to rows: each SDK's median per unit and the median paired ratio."""
    specs: list[tuple[str, str, str, int]] = [
        ("steps/BATCHED", "steps/BATCHED", "steps", n_steps),
        ("steps/EAGER", "steps/EAGER", "steps", n_steps),
        ("plain/BATCHED", "plain/BATCHED", "steps", n_steps),
        ("plain-inline/BATCHED", "plain-inline/BATCHED", "steps", n_steps),
        ("map/None", "map/None", "map/None", n_map),
        ("map/10", "map/10", "map/10", n_map),
        ("map-first/None", "map-first/None", "map-first/None", n_map),
        ("map-first/10", "map-first/10", "map-first/10", n_map),
        *((f"replay/{n}", f"replay/{n}", f"replay/{n}", n) for n in replay),
        ("memory", "memory", "memory", n_steps),
    ]
    result: dict[str, dict[str, Any]] = {}
    for key, ours_job, official_job, n in specs:
        ours = [_per_unit(r["ours"], ours_job, n) for r in raw]
        official = [_per_unit(r.get("official", {}), official_job, n) for r in raw]
        pairs = [(o, f) for o, f in zip(ours, official, strict=True) if o and f]
        # Memory: ours over official (lower is better); time: official over ours.
        ratios = [o / f if key == "memory" else f / o for o, f in pairs]
        mine = [v for v in ours if v is not None]
        theirs = [v for v in official if v is not None]
        result[key] = {
            "ours": statistics.median(mine) if mine else None,
            "official": statistics.median(theirs) if theirs else None,
            "ratio": statistics.median(ratios) if ratios else None,
            "ratios": ratios,
            "calls": (raw[-1]["ours"].get(ours_job) or {}).get("calls"),
        }
    return result
