"""Both SDKs through their Lambda entry points and one stand-in boto3 client (stand-alone script).

``python boto3_workloads.py '<json spec>'`` runs in either SDK's environment: ``{"sdk": "ours"}``
imports durable-lambda (from ``PYTHONPATH``), ``{"sdk": "official"}`` the official SDK, and
nothing else of this repository but ``null_lambda_client.py`` beside this file. Each SDK's
``@durable_execution`` handler is called as Lambda calls it, ``handler(event, lambda_context)``,
with the same Lambda JSON event and a ``NullLambdaClient`` handed to the decorator (ours:
``client=``, the official SDK's: ``boto3_client=``). The spec lists jobs; the script prints one
JSON object: each job's wall times in seconds (``runs``), its checkpoint calls, and for a
``memory`` job the peak bytes.

Jobs: ``steps`` (``n`` sequential no-op steps: ``async def`` bodies for ours, plain functions for
the official SDK, whose bodies are plain), ``plain`` (the same with plain-function bodies for ours
too, run in worker threads), ``plain-inline`` (plain-function bodies marked ``non_blocking`` for
ours, run inline on the event loop as the official SDK runs its plain bodies), ``map`` (a map
over ``n`` items, ``concurrency`` at most at once), ``replay`` (an invocation replaying ``n``
completed steps whose state spans pages of 1,000 operations, served by the client), ``memory``
(tracemalloc's peak over one ``steps`` invocation). ``first`` times a job's first invocation in
the process, before any warm-up: a cold sandbox's first invocation.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from null_lambda_client import NullLambdaClient, paged_state

ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/durable-execution/run/bench1"
STARTED = 1_767_225_600_000


class LambdaContext:
    """The attributes of Lambda's context object that either SDK reads."""

    aws_request_id = "request-1"
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "stream"
    tenant_id = None

    def get_remaining_time_in_millis(self) -> int:
        """Fifteen minutes: Lambda's longest invocation."""
        return 900_000


def step_id(position: int) -> str:
    """The protocol's id of the root context's step at 1-based ``position``."""
    return hashlib.blake2b(str(position).encode()).hexdigest()[:64]


def execution_operations(payload: dict[str, Any], completed: int) -> list[dict[str, Any]]:
    """The execution's operations as the service lists them: its EXECUTION operation, started
    with ``payload``, then ``completed`` SUCCEEDED steps ``s0``, ``s1``... of the root context."""
    operations: list[dict[str, Any]] = [
        {
            "Id": ARN.rsplit("/", 1)[-1],
            "Type": "EXECUTION",
            "Status": "STARTED",
            "StartTimestamp": STARTED,
            "ExecutionDetails": {"InputPayload": json.dumps(payload)},
        }
    ]
    operations.extend(
        {
            "Id": step_id(i + 1),
            "Type": "STEP",
            "SubType": "Step",
            "Name": f"s{i}",
            "Status": "SUCCEEDED",
            "StartTimestamp": STARTED,
            "EndTimestamp": STARTED,
            "StepDetails": {"Attempt": 1, "Result": "1"},
        }
        for i in range(completed)
    )
    return operations


def event_for(n: int, job: dict[str, Any], completed: int = 0) -> tuple[dict[str, Any], Any]:
    """Return the Lambda event (``completed`` steps done) and the client's later pages."""
    payload = {"n": n, "concurrency": job.get("concurrency")}
    operations = execution_operations(payload, completed)
    initial, pages = paged_state(operations)
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "t0", "InitialExecutionState": initial}
    return event, pages


# -- the handlers, one set per SDK ------------------------------------------------------------


def ours_handlers(job: dict[str, Any], client: NullLambdaClient) -> Callable[..., Any]:
    """Return durable-lambda's decorated handler for ``job``."""
    from durable_lambda import MapConfig, durable_execution, non_blocking

    async def async_one(step: Any) -> int:
        return 1

    def plain_one(step: Any) -> int:
        return 1

    @non_blocking
    def inline_one(step: Any) -> int:
        return 1

    async def double(ctx: Any, item: int, index: int, items: Any) -> int:
        return item * 2

    kind = job["kind"]

    async def handler(event: dict[str, Any], ctx: Any) -> int:
        if kind == "map":
            config = MapConfig(max_concurrency=event.get("concurrency"))
            result = await ctx.map(list(range(event["n"])), double, name="map", config=config)
            return len(result.get_results())
        body = {"plain": plain_one, "plain-inline": inline_one}.get(kind, async_one)
        for i in range(event["n"]):
            await ctx.step(body, name=f"s{i}")
        return int(event["n"])

    mode = job.get("mode") or "BATCHED"
    return durable_execution(client=client, checkpoint_mode=mode)(handler)


def official_handlers(job: dict[str, Any], client: NullLambdaClient) -> Callable[..., Any]:
    """Return the official SDK's decorated handler for ``job``."""
    from aws_durable_execution_sdk_python import durable_execution
    from aws_durable_execution_sdk_python.config import MapConfig

    def one(step: Any) -> int:
        return 1

    def double(ctx: Any, item: int, index: int, items: Any) -> int:
        return item * 2

    kind = job["kind"]

    def handler(event: dict[str, Any], ctx: Any) -> int:
        if kind == "map":
            config: Any = MapConfig(max_concurrency=event.get("concurrency"))
            result: Any = ctx.map(list(range(event["n"])), double, name="map", config=config)
            return len(result.get_results())
        for i in range(event["n"]):
            ctx.step(one, name=f"s{i}")
        return int(event["n"])

    decorated: Callable[..., Any] = durable_execution(handler, boto3_client=client)  # type: ignore[arg-type]
    return decorated


# -- running a job ----------------------------------------------------------------------------


def run_job(sdk: str, job: dict[str, Any]) -> dict[str, Any]:
    """Run one job: its first invocation when asked, then warm-up and timed repeats."""
    n = job["n"]
    kind = job["kind"]
    completed = n if kind == "replay" else 0
    event, pages = event_for(n, job, completed)
    client = NullLambdaClient(pages)
    build = ours_handlers if sdk == "ours" else official_handlers
    handler = build({**job, "kind": "steps" if kind in ("replay", "memory") else kind}, client)
    context = LambdaContext()

    def once() -> float:
        started = time.perf_counter()
        output = handler(event, context)
        elapsed = time.perf_counter() - started
        assert output["Status"] == "SUCCEEDED", output
        return elapsed

    figures: dict[str, Any] = {}
    if job.get("first"):
        figures["first"] = once()
        return figures
    for _ in range(job.get("warmup", 1)):
        once()
    if kind == "memory":
        gc.collect()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            once()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        figures["peak_bytes"] = max(0, peak - base)
        return figures
    runs = []
    client.calls = 0
    for _ in range(job.get("repeats", 3)):
        gc.collect()
        runs.append(once())
    figures["runs"] = runs
    figures["median"] = statistics.median(runs)
    figures["calls"] = client.calls / max(1, len(runs))
    figures["page_calls"] = client.page_calls
    return figures


def main() -> None:
    """Run the jobs of the JSON spec in ``sys.argv[1]``; print their figures as JSON."""
    logging.disable(logging.CRITICAL)  # the official SDK logs; so would ours on a failure
    spec = json.loads(sys.argv[1])
    results = {job["name"]: run_job(spec["sdk"], job) for job in spec["jobs"]}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
