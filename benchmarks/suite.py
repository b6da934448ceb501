"""Every workload, ours and the official SDK's, measured in one run; results as a nested dict."""

from __future__ import annotations

import asyncio
import datetime
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import boto3_compare, fixed, ours
from benchmarks.local_runtime import LocalSizes, run_local
from benchmarks.official import ensure_runtime_python, official_version, run_official
from benchmarks.replay_floor import replay_floor

MODES = ("EAGER", "BATCHED", "OPTIMISTIC")


@dataclass(frozen=True)
class Sizes:
    """How big and how often: the full run, or the CI smoke run (``quick``)."""

    repeats: int
    steps: tuple[int, ...]
    official_steps: tuple[int, ...]
    replay: tuple[int, ...]
    official_replay: tuple[int, ...]
    map_items: tuple[int, ...]
    official_map_items: tuple[int, ...]
    parallel_branches: int
    latency_steps: int
    latency_seconds: float
    floor: int
    thread_calls: int
    cold_repeats: int
    runtime_venv: bool
    boto3_rounds: int = 5
    boto3_repeats: int = 3
    boto3_steps: int = 1_000
    boto3_map: int = 1_000
    boto3_replay: tuple[int, ...] = (1_000, 10_000)
    local: LocalSizes = field(default_factory=LocalSizes.full)

    @classmethod
    def full(cls, official_large: bool = False) -> Sizes:
        """The sizes the issue asks for; the official SDK up to 1,000 unless ``official_large``."""
        large = (10_000,) if official_large else ()
        return cls(
            repeats=5,
            steps=(100, 1_000, 10_000),
            official_steps=(100, 1_000, *large),
            replay=(100, 1_000, 10_000),
            official_replay=(100, 1_000, 10_000),
            map_items=(1_000, 10_000),
            official_map_items=(1_000, *large),
            parallel_branches=100,
            latency_steps=100,
            latency_seconds=0.02,
            floor=10_000,
            thread_calls=5_000,
            cold_repeats=11,
            runtime_venv=True,
        )

    @classmethod
    def quick(cls) -> Sizes:
        """Tiny sizes: checks that every workload still runs, in a few seconds."""
        return cls(
            repeats=1,
            steps=(5, 10),
            official_steps=(5,),
            replay=(5, 10),
            official_replay=(5,),
            map_items=(10,),
            official_map_items=(10,),
            parallel_branches=5,
            latency_steps=5,
            latency_seconds=0.002,
            floor=100,
            thread_calls=50,
            cold_repeats=1,
            runtime_venv=False,
            boto3_rounds=1,
            boto3_repeats=1,
            boto3_steps=5,
            boto3_map=10,
            boto3_replay=(10,),
            local=LocalSizes.quick(),
        )


Progress = Callable[[str], None]


def _machine(official_python: Path | None) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": uname.stdout.strip() or platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "official_sdk": official_version(official_python) if official_python else None,
    }


def _steps(sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for harness in ("runner", "direct", "sdk"):
        for kind in ("async", "sync"):
            for n in sizes.steps:
                progress(f"ours steps {harness} {kind} n={n}")
                handler = ours.steps_handler(kind)
                figures = asyncio.run(
                    ours.measure(
                        harness, handler, n, "BATCHED", sizes.repeats, memory=harness != "runner"
                    )
                )
                results[f"{harness}/{kind}/{n}"] = figures
    return results


def _modes(sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for harness in ("direct", "sdk"):
        for mode in MODES:
            for n in sizes.steps:
                progress(f"ours modes {harness} {mode} n={n}")
                handler = ours.steps_handler("async")
                figures = asyncio.run(ours.measure(harness, handler, n, mode, sizes.repeats))
                results[f"{mode}/{n}" if harness == "direct" else f"sdk/{mode}/{n}"] = figures
    return results


def _official_steps(python: Path, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for n in sizes.official_steps:
        repeats = sizes.repeats if n <= 1_000 else 1
        progress(f"official steps runner n={n}")
        results[f"runner/sync/{n}"] = run_official(
            python, workload="runner", handler="steps", n=n, repeats=repeats
        )
        progress(f"official steps direct n={n}")
        results[f"direct/sync/{n}"] = run_official(
            python,
            workload="direct",
            handler="steps",
            n=n,
            repeats=repeats,
            replay=False,
            memory=True,
        )
    return results


def _replay(python: Path | None, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for n in sizes.replay:
        progress(f"ours replay n={n}")
        results[f"ours/{n}"] = asyncio.run(ours.measure_replay(n, sizes.repeats))
        progress(f"replay floor n={n}")
        for key, validated in (("floor", False), ("floor-validated", True)):
            results[f"{key}/{n}"] = asyncio.run(replay_floor(n, sizes.repeats, validated=validated))
    if python is not None:
        for n in sizes.official_replay:
            progress(f"official replay n={n}")
            results[f"official/{n}"] = run_official(
                python, workload="direct", handler="steps", n=n, repeats=sizes.repeats, replay=True
            )
    return results


def _concurrency(python: Path | None, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for n in sizes.map_items:
        for concurrency in (None, 10):
            for harness in ("runner", "direct", "sdk"):
                progress(f"ours map {harness} n={n} max_concurrency={concurrency}")
                handler = ours.map_handler(concurrency)
                results[f"ours/map/{harness}/{n}/{concurrency}"] = asyncio.run(
                    ours.measure(harness, handler, n, "BATCHED", sizes.repeats, memory=True)
                )
    branches = sizes.parallel_branches
    for harness in ("runner", "direct", "sdk"):
        progress(f"ours parallel {harness} branches={branches}")
        handler = ours.parallel_handler()
        results[f"ours/parallel/{harness}/{branches}"] = asyncio.run(
            ours.measure(harness, handler, branches, "BATCHED", sizes.repeats, memory=True)
        )
    if python is None:
        return results
    for n in sizes.official_map_items:
        for concurrency in (None, 10):
            repeats = sizes.repeats if n <= 1_000 else 1
            for workload in ("runner", "direct"):
                progress(f"official map {workload} n={n} max_concurrency={concurrency}")
                results[f"official/map/{workload}/{n}/{concurrency}"] = run_official(
                    python,
                    workload=workload,
                    handler="map",
                    n=n,
                    concurrency=concurrency,
                    repeats=repeats,
                    replay=False,
                    memory=True,
                )
    for workload in ("runner", "direct"):
        progress(f"official parallel {workload} branches={branches}")
        results[f"official/parallel/{workload}/{branches}"] = run_official(
            python,
            workload=workload,
            handler="parallel",
            n=branches,
            repeats=sizes.repeats,
            replay=False,
            memory=True,
        )
    return results


def _latency(python: Path | None, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {}
    n, delay = sizes.latency_steps, sizes.latency_seconds
    for mode in MODES:
        progress(f"ours latency {mode}")
        results[f"ours/{mode}"] = asyncio.run(ours.measure_latency(mode, n, delay))
    if python is not None:
        progress("official latency")
        results["official"] = run_official(python, workload="latency", n=n, delay=delay)
    return results


def _fixed(python: Path | None, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    repeats = max(sizes.repeats, 7)
    progress("fixed cost and cold start")
    results: dict[str, Any] = {"ours/fixed": fixed.fixed_cost(repeats)}
    if python is not None:
        results["official/fixed"] = run_official(python, workload="fixed", repeats=repeats)
    variants = [fixed.ours_variant("ours-dev")]
    runtime = str(ensure_runtime_python()) if sizes.runtime_venv else sys.executable
    variants.append(fixed.ours_client_variant("ours+client", runtime))
    if sizes.runtime_venv:
        variants += [
            fixed.ours_variant("ours", runtime),
            fixed.ours_variant("ours+boto3", runtime, boto3=True),
            fixed.pydantic_floor_variant("pydantic-floor", runtime),
        ]
    if python is not None:
        variants.append(fixed.official_client_variant("official+client", str(python)))
        variants.append(fixed.official_variant("official", str(python)))
    for name, figures in fixed.cold_starts(variants, sizes.cold_repeats).items():
        results[f"{name}/cold"] = figures
    return results


def _floor(sizes: Sizes, progress: Progress) -> dict[str, Any]:
    progress("floor and thread vs inline")
    return {
        "sync": fixed.floor_sync(sizes.floor, sizes.repeats),
        "async": asyncio.run(fixed.floor_async(sizes.floor, sizes.repeats)),
        "thread_vs_inline": asyncio.run(fixed.thread_vs_inline(sizes.thread_calls, sizes.repeats)),
    }


def _boto3(python: Path | None, sizes: Sizes, progress: Progress) -> dict[str, Any]:
    """Both SDKs through their Lambda entry points with one stand-in boto3 client."""
    ours_python = str(ensure_runtime_python()) if sizes.runtime_venv else sys.executable
    return boto3_compare.compare(
        ours_python,
        None if python is None else str(python),
        rounds=sizes.boto3_rounds,
        repeats=sizes.boto3_repeats,
        n_steps=sizes.boto3_steps,
        n_map=sizes.boto3_map,
        replay=sizes.boto3_replay,
        progress=progress,
    )


def run_all(
    sizes: Sizes, official_python: Path | None, progress: Progress, only: set[str] | None = None
) -> dict[str, Any]:
    """Run every group (or those in ``only``); the official SDK's too unless its python is None."""

    def wanted(group: str) -> bool:
        return only is None or group in only

    results: dict[str, Any] = {"machine": _machine(official_python), "quick": sizes.repeats == 1}
    if wanted("boto3"):
        results["boto3"] = _boto3(official_python, sizes, progress)
    if wanted("steps"):
        results["steps"] = _steps(sizes, progress)
        results["modes"] = _modes(sizes, progress)
        if official_python is not None:
            results["official_steps"] = _official_steps(official_python, sizes, progress)
    if wanted("replay"):
        results["replay"] = _replay(official_python, sizes, progress)
    if wanted("concurrency"):
        results["concurrency"] = _concurrency(official_python, sizes, progress)
    if wanted("latency"):
        results["latency"] = _latency(official_python, sizes, progress)
    if wanted("fixed"):
        results["fixed"] = _fixed(official_python, sizes, progress)
    if wanted("floor"):
        results["floor"] = _floor(sizes, progress)
    if wanted("local"):
        results["local"] = run_local(sizes.local, progress)
    return results
