"""The benchmark workloads, run through the official AWS SDK (stand-alone script).

This file runs in the official SDK's own virtual environment (``.cache/bench-official-venv-pyXY``),
so it imports nothing from this repository: ``python official_workloads.py '<json spec>'`` prints
one JSON object of figures. The spec is ``{"workload": name, ...parameters}``; see ``WORKLOADS``.

The official SDK is synchronous: step functions are plain functions, run on the handler's thread;
map and parallel branches run on thread pools.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import MapConfig, ParallelConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

# The same execution, event and Lambda context as the boto3-path comparison's (this script runs
# with its own folder on sys.path, and boto3_workloads imports no SDK at its top).
from boto3_workloads import ARN, LambdaContext, execution_operations


class FakeLambdaClient:
    """Stands in for the boto3 ``lambda`` client: acknowledges checkpoints, optionally slowly."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return {"CheckpointToken": f"t{self.calls}", "NewExecutionState": {"Operations": []}}

    def get_durable_execution_state(self, **request: Any) -> dict[str, Any]:
        return {"Operations": [], "NextMarker": ""}


def _lambda_context() -> Any:
    """A ``LambdaContext`` typed as what the SDK expects (it reads attributes only)."""
    return LambdaContext()


def _noop(step: Any) -> int:
    return 1


def _double(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return item * 2


def _branch(ctx: DurableContext) -> int:
    return 1


def _steps(event: dict[str, Any], ctx: DurableContext) -> int:
    for i in range(event["n"]):
        ctx.step(_noop, name=f"s{i}")
    return int(event["n"])


def _map(event: dict[str, Any], ctx: DurableContext) -> int:
    config: Any = MapConfig(max_concurrency=event.get("concurrency"))
    result: Any = ctx.map(list(range(event["n"])), _double, name="map", config=config)
    return len(result.get_results())


def _parallel(event: dict[str, Any], ctx: DurableContext) -> int:
    result = ctx.parallel([_branch] * event["n"], name="parallel", config=ParallelConfig())
    return len(result.get_results())


HANDLERS: dict[str, Callable[[dict[str, Any], DurableContext], int]] = {
    "steps": _steps,
    "map": _map,
    "parallel": _parallel,
}


def replay_event(n: int, payload: dict[str, Any], completed: bool) -> dict[str, Any]:
    """The invocation input, with ``n`` SUCCEEDED steps when ``completed`` (same ids as ours)."""
    operations = execution_operations(payload, n if completed else 0)
    return {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "t0",
        "InitialExecutionState": {"Operations": operations, "NextMarker": ""},
    }


def _timed(run: Callable[[], float | None], repeats: int, warmup: int = 1) -> list[float]:
    """Run ``run`` ``warmup`` + ``repeats`` times; a run may time itself by returning seconds."""
    for _ in range(warmup):
        run()
    runs = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        inner = run()
        runs.append(time.perf_counter() - started if inner is None else inner)
    return runs


def _peak(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - base)


def _figures(runs: list[float], n: int, **extra: Any) -> dict[str, Any]:
    seconds = statistics.median(runs)
    return {"seconds": seconds, "us_per_unit": seconds / max(n, 1) * 1e6, **extra}


def runner_workload(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a handler to its end with ``DurableFunctionTestRunner`` (the official in-process one)."""
    handler = durable_execution(HANDLERS[spec["handler"]])
    n = spec["n"]
    payload = json.dumps({"n": n, "concurrency": spec.get("concurrency")})

    def run() -> float:
        # Only the execution is timed: building and closing the runner are not.
        with DurableFunctionTestRunner(handler) as runner:
            started = time.perf_counter()
            result = runner.run(input=payload, execution_timeout=3600)
            elapsed = time.perf_counter() - started
        assert result.status.value == "SUCCEEDED", result
        return elapsed

    runs = _timed(run, spec["repeats"], spec.get("warmup", 1))
    figures = _figures(runs, n)
    if spec.get("memory"):
        figures["peak_bytes"] = _peak(run)
        figures["bytes_per_unit"] = figures["peak_bytes"] / max(n, 1)
    return figures


def direct_workload(spec: dict[str, Any]) -> dict[str, Any]:
    """Invoke the decorated handler once per run with a fake ``lambda`` client (no runner)."""
    n = spec["n"]
    client = FakeLambdaClient(spec.get("delay", 0.0))
    handler = durable_execution(HANDLERS[spec["handler"]], boto3_client=cast(Any, client))
    event = replay_event(n, {"n": n, "concurrency": spec.get("concurrency")}, spec["replay"])

    def run() -> None:
        client.calls = 0
        output = handler(event, _lambda_context())
        assert output["Status"] == "SUCCEEDED", output

    runs = _timed(run, spec["repeats"], spec.get("warmup", 1))
    figures = _figures(runs, n, calls=client.calls)
    if spec.get("memory"):
        figures["peak_bytes"] = _peak(run)
        figures["bytes_per_unit"] = figures["peak_bytes"] / max(n, 1)
    return figures


def fixed_workload(spec: dict[str, Any]) -> dict[str, Any]:
    """Set-up and tear-down of warm invocations of an empty handler, through the entry point."""
    marks: dict[str, float] = {}

    def empty(event: Any, ctx: DurableContext) -> str:
        marks["first"] = time.perf_counter()
        marks["last"] = time.perf_counter()
        return "ok"

    handler = durable_execution(empty, boto3_client=cast(Any, FakeLambdaClient()))
    event = replay_event(0, {}, completed=False)
    handler(event, _lambda_context())
    setups, teardowns, totals = [], [], []
    for _ in range(spec["repeats"]):
        started = time.perf_counter()
        output = handler(event, _lambda_context())
        ended = time.perf_counter()
        assert output["Status"] == "SUCCEEDED", output
        setups.append(marks["first"] - started)
        teardowns.append(ended - marks["last"])
        totals.append(ended - started)
    return {
        "setup_ms": statistics.median(setups) * 1e3,
        "teardown_ms": statistics.median(teardowns) * 1e3,
        "total_ms": statistics.median(totals) * 1e3,
    }


def latency_workload(spec: dict[str, Any]) -> dict[str, Any]:
    """``n`` sequential steps with every checkpoint call ``delay`` seconds slow (fake client)."""
    n, delay = spec["n"], spec["delay"]

    def once(latency: float) -> tuple[float, int]:
        client = FakeLambdaClient(latency)
        handler = durable_execution(_steps, boto3_client=cast(Any, client))
        started = time.perf_counter()
        output = handler(replay_event(n, {"n": n}, completed=False), _lambda_context())
        assert output["Status"] == "SUCCEEDED", output
        return time.perf_counter() - started, client.calls

    base, _ = once(0.0)
    elapsed, calls = once(delay)
    return {
        "seconds": elapsed,
        "calls": calls,
        "blocking_round_trips": max(0, round((elapsed - base) / delay)),
    }


WORKLOADS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "runner": runner_workload,
    "direct": direct_workload,
    "fixed": fixed_workload,
    "latency": latency_workload,
}


def main() -> None:
    """Run the workload the JSON spec in ``sys.argv[1]`` names; print its figures as JSON."""
    import logging

    logging.disable(logging.CRITICAL)  # the SDK logs every failed or suspended invocation
    spec = json.loads(sys.argv[1])
    figures = WORKLOADS[spec["workload"]](spec)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
