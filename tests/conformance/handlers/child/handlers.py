"""Handlers for the child-context suite (requirements 3-1 to 3-18)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from conformance.handlers._common import configure_json_logs, uppercase_serdes
from durable_lambda import (
    ChildConfig,
    ChildContextError,
    DurableContext,
    Duration,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
)
from durable_lambda.core.retry import JitterStrategy

configure_json_logs()

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
_ONE_SECOND = RetryStrategyConfig(
    initial_delay=Duration(1), backoff_rate=1, jitter_strategy=JitterStrategy.NONE
)
RETRY_ONCE = StepConfig(retry_strategy=create_retry_strategy(_ONE_SECOND.replace(max_attempts=2)))


def _boom(message: str) -> Any:
    raise RuntimeError(message)


@durable_execution
async def req_3_1(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: event)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_2(event: dict[str, str], ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: event["value"])

    return await ctx.run_in_child_context(child, name=event["name"])


@durable_execution
async def req_3_3(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        first: str = await c.step(lambda _: event)
        return await c.step(lambda _: first)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_4(event: Any, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: _boom("the step inside the child failed"), config=NO_RETRY)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_5(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: _boom("the step inside the child failed"), config=NO_RETRY)

    with contextlib.suppress(ChildContextError):  # handled: the execution goes on
        await ctx.run_in_child_context(child, name="child")
    return await ctx.step(lambda _: event)


@durable_execution
async def req_3_6(event: str, ctx: DurableContext) -> str:
    async def inner(c: DurableContext) -> str:
        return await c.step(lambda _: event)

    async def outer(c: DurableContext) -> str:
        await c.step(lambda _: event)
        return await c.run_in_child_context(inner, name="inner")

    return await ctx.run_in_child_context(outer, name="outer")


@durable_execution
async def req_3_7(event: str, ctx: DurableContext) -> str:
    def flaky(step: StepContext) -> str:
        if step.attempt == 1:
            raise RuntimeError("first attempt fails")
        return event

    async def child(c: DurableContext) -> str:
        return await c.step(flaky, config=RETRY_ONCE)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_8(event: Any, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: _boom("always fails"), config=RETRY_ONCE)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_9(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: event)

    result = await ctx.run_in_child_context(child, name="child")
    await ctx.wait(Duration.from_seconds(1))
    return result


@durable_execution
async def req_3_10(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        await c.step(lambda _: event)
        await c.wait(Duration.from_seconds(1))
        return event

    return await ctx.run_in_child_context(child, name="child")


@durable_execution(log_during_replay=True)
async def req_3_11(event: str, ctx: DurableContext) -> int:
    async def child(c: DurableContext) -> str:
        c.logger.info(f"building a large result for {event}")
        small: str = await c.step(lambda _: event)
        return small * (300 * 1024 // len(small) + 1)  # over the 256 KiB checkpoint limit

    large = await ctx.run_in_child_context(child, name="child")
    await ctx.wait(Duration.from_seconds(1))
    return len(large)


def _first_time(arn: str) -> bool:
    """True once per execution: a marker file outlives the crashed worker process."""
    digest = hashlib.sha256(arn.encode()).hexdigest()[:24]
    marker = Path(tempfile.gettempdir()) / f"durable-lambda-conformance-{digest}"
    if marker.exists():
        return False
    marker.touch()
    return True


@durable_execution
async def req_3_12(event: str, ctx: DurableContext) -> str:
    arn = ctx.execution_arn

    def crash_once(_: StepContext) -> str:
        if _first_time(arn):
            import time

            time.sleep(3)  # let the STARTs (sent in the background) reach the service
            os._exit(1)  # the Lambda process dies in the middle of the step
        return event

    async def child(c: DurableContext) -> str:
        return await c.step(crash_once)

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_13(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        await c.wait(Duration.from_seconds(1))
        return event

    await ctx.run_in_child_context(child, name="child")
    return await ctx.step(lambda _: event)


@durable_execution
async def req_3_14(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        return await c.step(lambda _: event)

    return await ctx.run_in_child_context(
        child, name="child", config=ChildConfig(serdes=uppercase_serdes)
    )


@durable_execution
async def req_3_15(event: Any, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        raise RuntimeError("the child failed before any durable operation")

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_3_16(event: Any, ctx: DurableContext) -> None:
    async def child(c: DurableContext) -> None:
        return None

    await ctx.run_in_child_context(child, name="child")


@durable_execution(log_during_replay=True)
async def req_3_17(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        c.logger.info(f"child context ran for {event}")
        return event

    result = await ctx.run_in_child_context(child, name="child")
    await ctx.wait(Duration.from_seconds(1))
    return result


@durable_execution
async def req_3_18(event: str, ctx: DurableContext) -> str:
    async def child(c: DurableContext) -> str:
        await c.step(lambda _: event)
        await c.wait(Duration.from_seconds(1))
        return event

    await ctx.run_in_child_context(child, name="child")
    result: str = await ctx.step(lambda _: event)
    await ctx.wait(Duration.from_seconds(1))
    return result
