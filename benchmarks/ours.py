"""The workloads, run through durable-lambda.

Three harnesses, from the most to the least machinery around the SDK:

* ``runner``: ``durable_lambda.testing.DurableTestRunner`` (what a user's test does; the
  in-memory service, the fake clock and the driver loop included);
* ``direct``: one ``run_invocation`` against the in-memory ``LocalDurableService`` (no runner);
* ``sdk``: one ``run_invocation`` against a service that acknowledges every checkpoint and does
  nothing else: what the SDK itself costs, as the Lambda service's work happens elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from benchmarks.harness import Timing, peak_memory_async, per, time_async
from durable_lambda import MapConfig, ParallelConfig
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.driver import CountingService
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    InvocationInput,
    OperationUpdate,
)
from durable_lambda.core.ports import DurableService
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.testing import DurableTestRunner

Handler = Callable[[Any, DurableContext], Awaitable[Any]]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/durable-execution/run/bench1"


class NullService:
    """Acknowledges every checkpoint with a new token and changes nothing: the SDK's own cost."""

    def __init__(self) -> None:
        self.checkpoint_calls = 0
        self._empty = ExecutionState(Operations=())

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Count the call and hand back the next token."""
        self.checkpoint_calls += 1
        return CheckpointResponse(
            CheckpointToken=f"t{self.checkpoint_calls}", NewExecutionState=self._empty
        )

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        """Never called: every benchmark input fits on its first page."""
        raise AssertionError("the benchmark inputs are single pages")


class LatencyService:
    """Wraps a service and makes every checkpoint call take ``delay`` seconds longer."""

    def __init__(self, inner: DurableService, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Sleep, then forward the call."""
        await asyncio.sleep(self.delay)
        return await self.inner.checkpoint(execution_arn, checkpoint_token, updates, client_token)

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        """Sleep, then forward the call."""
        await asyncio.sleep(self.delay)
        return await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)


# -- handlers -------------------------------------------------------------------------------


async def _async_noop(step: StepContext) -> int:
    return 1


def _sync_noop(step: StepContext) -> int:
    return 1


def steps_handler(kind: str) -> Handler:
    """Return a handler running ``event["n"]`` sequential no-op steps (``async`` or ``sync``)."""
    fn = _async_noop if kind == "async" else _sync_noop

    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        for i in range(event["n"]):
            await ctx.step(fn, name=f"s{i}")
        return int(event["n"])

    return handler


async def _double(ctx: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    return item * 2


def map_handler(concurrency: int | None) -> Handler:
    """Return a handler mapping a doubling function over ``range(event["n"])``."""

    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        config = MapConfig(max_concurrency=concurrency)
        result = await ctx.map(list(range(event["n"])), _double, name="map", config=config)
        return len(result.get_results())

    return handler


async def _branch(ctx: DurableContext) -> int:
    return 1


def parallel_handler() -> Handler:
    """Return a handler running ``event["n"]`` no-op branches in one parallel."""

    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        branches = [_branch] * int(event["n"])
        result = await ctx.parallel(branches, name="parallel", config=ParallelConfig())
        return len(result.get_results())

    return handler


# -- harnesses ------------------------------------------------------------------------------


async def run_with_runner(handler: Handler, event: dict[str, Any], mode: str) -> dict[str, Any]:
    """Run one execution to its end with ``DurableTestRunner``; return status and call counts.

    Only the execution is timed (``elapsed``), not building the runner, as for the official one.
    """
    runner = DurableTestRunner(handler, checkpoint_mode=mode)
    started = time.perf_counter()
    execution = await runner.start(event)
    result = await execution.result()
    elapsed = time.perf_counter() - started
    assert result.status == "SUCCEEDED", result
    return {
        "calls": execution.checkpoint_calls,
        "invocations": result.invocations,
        "elapsed": elapsed,
    }


async def fresh_invocation(
    event: dict[str, Any],
) -> tuple[LocalDurableService, InvocationInput]:
    """Start an execution on a new in-memory local service; return it and the first input."""
    service = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    arn = await service.start_execution("bench", json.dumps(event))
    return service, await service.invocation_input(arn)


async def invoke(
    handler: Handler, invocation: InvocationInput, service: DurableService, mode: str
) -> str:
    """Run one invocation with the production serializer and logger; return its status."""
    output = await run_invocation(
        handler,
        invocation,
        service=service,
        serdes=JsonSerDes(),
        clock=FakeClock(),
        random=random.Random(0),
        logger=StructlogLogger(),
        options=RuntimeOptions(checkpoint_mode=CheckpointMode(mode)),
    )
    return output.Status.value


async def run_direct(handler: Handler, event: dict[str, Any], mode: str) -> dict[str, Any]:
    """Run one invocation against the in-memory ``LocalDurableService`` (only it is timed)."""
    service, invocation = await fresh_invocation(event)
    counting = CountingService(service)
    started = time.perf_counter()
    status = await invoke(handler, invocation, counting, mode)
    elapsed = time.perf_counter() - started
    assert status == "SUCCEEDED", status
    return {"calls": counting.checkpoint_calls, "elapsed": elapsed}


async def run_sdk_only(handler: Handler, event: dict[str, Any], mode: str) -> dict[str, Any]:
    """Run one invocation against ``NullService``: the SDK's own work only (only it is timed)."""
    _, invocation = await fresh_invocation(event)
    service = NullService()
    started = time.perf_counter()
    status = await invoke(handler, invocation, service, mode)
    elapsed = time.perf_counter() - started
    assert status == "SUCCEEDED", status
    return {"calls": service.checkpoint_calls, "elapsed": elapsed}


HARNESSES: dict[str, Callable[[Handler, dict[str, Any], str], Awaitable[dict[str, Any]]]] = {
    "runner": run_with_runner,
    "direct": run_direct,
    "sdk": run_sdk_only,
}


async def measure(
    harness: str,
    handler: Handler,
    n: int,
    mode: str,
    repeats: int,
    *,
    memory: bool = False,
) -> dict[str, Any]:
    """Time ``handler`` over ``n`` units through ``harness``; optionally its peak memory too."""
    run = HARNESSES[harness]
    event = {"n": n}
    timing: Timing = await time_async(lambda: run(handler, event, mode), repeats)
    figures: dict[str, Any] = {
        "seconds": timing.seconds,
        "us_per_unit": per(timing.seconds, n),
        **timing.extra,
    }
    if memory:
        peak = await peak_memory_async(lambda: run(handler, event, mode))
        figures["peak_bytes"] = peak
        figures["bytes_per_unit"] = peak / max(n, 1)
    return figures


async def measure_replay(n: int, repeats: int) -> dict[str, Any]:
    """Time one invocation that replays ``n`` completed steps (the shared wire-format history)."""
    event = replay_event(n)
    invocation = parse_invocation_input(event)
    handler = steps_handler("async")

    async def run() -> dict[str, Any]:
        service = NullService()
        status = await invoke(handler, parse_invocation_input(event), service, "BATCHED")
        assert status == "SUCCEEDED", status
        return {"calls": service.checkpoint_calls}

    timing = await time_async(run, repeats)
    peak = await peak_memory_async(lambda: invoke(handler, invocation, NullService(), "BATCHED"))
    return {
        "seconds": timing.seconds,
        "us_per_unit": per(timing.seconds, n),
        "peak_bytes": peak,
        "bytes_per_unit": peak / max(n, 1),
        **timing.extra,
    }


def replay_event(n: int) -> dict[str, Any]:
    """Return an invocation input holding ``n`` SUCCEEDED steps named ``s0`` .. (wire format).

    Both SDKs derive the same operation ids, so the one event replays in either.
    """
    from durable_lambda.core.ids import operation_id

    started = 1_767_225_600_000
    operations: list[dict[str, Any]] = [
        {
            "Id": ARN.rsplit("/", 1)[-1],
            "Type": "EXECUTION",
            "Status": "STARTED",
            "StartTimestamp": started,
            "ExecutionDetails": {"InputPayload": json.dumps({"n": n})},
        }
    ]
    operations.extend(
        {
            "Id": operation_id(None, i + 1),
            "Type": "STEP",
            "SubType": "Step",
            "Name": f"s{i}",
            "Status": "SUCCEEDED",
            "StartTimestamp": started,
            "EndTimestamp": started,
            "StepDetails": {"Attempt": 1, "Result": "1"},
        }
        for i in range(n)
    )
    return {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "t0",
        "InitialExecutionState": {"Operations": operations, "NextMarker": ""},
    }


async def measure_latency(mode: str, n: int, delay: float) -> dict[str, Any]:
    """Run ``n`` sequential at-least-once steps with every checkpoint call ``delay`` s slower.

    Blocking round trips are the extra wall time over the same run without latency, in units of
    ``delay``: how many calls the handler had to wait for one after the other.
    """
    handler = steps_handler("async")
    event = {"n": n}

    async def run(latency: float) -> tuple[float, int]:
        service, invocation = await fresh_invocation(event)
        counting = CountingService(LatencyService(service, latency))
        loop = asyncio.get_running_loop()
        started = loop.time()
        status = await invoke(handler, invocation, counting, mode)
        assert status == "SUCCEEDED", status
        return loop.time() - started, counting.checkpoint_calls

    base, _ = await run(0.0)
    elapsed, calls = await run(delay)
    return {
        "seconds": elapsed,
        "calls": calls,
        "blocking_round_trips": max(0, round((elapsed - base) / delay)),
    }
