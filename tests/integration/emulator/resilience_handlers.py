"""Handlers for the deadline and saga tests against the official emulator (issue 17).

The deadline handlers are entered as Lambda enters them (``handler(event, context)``) with a
Lambda context whose remaining time is short, as a function configured with a short time-out
gets: the worker's own context says a minute is left. Each handler records what its bodies did in
the file named by ``event["log"]``: one JSON line per event, written by whichever worker process
runs it, so a test can count attempts across invocations and crashes.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    create_retry_strategy,
    durable_execution,
)

# Each invocation has this long before "Lambda" would stop it, and stops its attempts this long
# before that.
REMAINING_SECONDS = 1.5
MARGIN_SECONDS = 0.5


class ShortLambdaContext:
    """The Lambda context of an invocation that has ``REMAINING_SECONDS`` left."""

    function_name = "deadline-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:deadline-function"
    memory_limit_in_mb = "128"
    log_group_name = None
    log_stream_name = None

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id
        self._ends = time.monotonic() + REMAINING_SECONDS

    def get_remaining_time_in_millis(self) -> int:
        """Return the milliseconds left."""
        return max(0, int((self._ends - time.monotonic()) * 1000))


def record(event: dict[str, Any], what: str, **details: Any) -> None:
    """Append one line to the test's log file (shared by every worker process)."""
    with Path(event["log"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps({"what": what, "pid": os.getpid(), **details}) + "\n")


def _retries(count: int) -> StepConfig:
    return StepConfig(
        create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=count,
                initial_delay=Duration(1),
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )


# -- deadline: a step that can never finish within one invocation ---------------------------

MARGIN = timedelta(seconds=MARGIN_SECONDS)


@durable_execution(deadline_margin=MARGIN)
async def _never_finishes(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    before = await ctx.step(lambda s: "ok", name="before")

    async def stuck(step: StepContext) -> None:
        record(event, "stuck attempt", attempt=step.attempt)
        await asyncio.sleep(3600)  # only the deadline ends it

    try:
        await ctx.step(stuck, name="stuck", config=_retries(2))
    except StepError as error:
        return {"before": before, "error_type": error.error_type, "message": error.message}
    return {"before": before}


def never_finishes(event: Any, context: Any) -> Any:
    """Enter ``_never_finishes`` as Lambda would with a short remaining time."""
    return _never_finishes(event, ShortLambdaContext(context.aws_request_id))


# -- deadline: slow orchestration code, then a step reached after the deadline ---------------


@durable_execution(deadline_margin=MARGIN)
async def _late_step(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    first = await ctx.step(lambda s: "first", name="first")
    if _first_time(event["marker"]):
        await asyncio.sleep(REMAINING_SECONDS - MARGIN_SECONDS)  # past the deadline margin

    def second(step: StepContext) -> str:
        record(event, "second attempt", attempt=step.attempt)
        return "second"

    # One attempt allowed: the deferral at the deadline must not count as one.
    return [first, await ctx.step(second, name="second", config=_retries(1))]


def _first_time(marker: str) -> bool:
    """Whether ``marker`` did not exist yet (it does now): true once across all processes."""
    try:
        Path(marker).touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


def late_step(event: Any, context: Any) -> Any:
    """Enter ``_late_step`` as Lambda would with a short remaining time."""
    return _late_step(event, ShortLambdaContext(context.aws_request_id))


# -- saga: a crash in the middle of compensation -------------------------------------------


def _undo(name: str) -> Any:
    def body(result: str, step: StepContext) -> str:
        event = json.loads(result)
        record(event, "undo", name=name, attempt=step.attempt)
        if name == "reserve" and not Path(event["marker"]).exists():
            Path(event["marker"]).touch()
            os._exit(1)  # the sandbox dies in the middle of the compensation
        return f"undid {name}"

    return body


@durable_execution
async def saga_crash(event: dict[str, Any], ctx: DurableContext) -> str:
    """Three steps, each with an undo; the fourth fails; the second undo crashes once."""
    # Each step's result carries what its undo needs (here: where to log).
    payload = json.dumps({"log": event["log"], "marker": event["marker"]})
    async with ctx.saga("order") as saga:
        for name in ("charge", "reserve", "pack"):
            await saga.step(lambda s: payload, name=name, compensate=_undo(name))

        def ship(step: StepContext) -> None:
            raise RuntimeError("no courier available")

        await saga.step(ship, name="ship", config=_retries(1))
    return "shipped"
