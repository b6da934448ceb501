"""Durable (and plain) functions the emulator tests run, written against the public API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from durable_lambda import (
    CallbackConfig,
    CallbackError,
    DurableContext,
    Duration,
    InvokeError,
    JitterStrategy,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
)

RETRY_EVERY_SECOND = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration(1),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


def _flaky(step: StepContext) -> dict[str, int]:
    if step.attempt < 2:
        raise ConnectionError(f"attempt {step.attempt} lost its connection")
    return {"attempt": step.attempt}


@durable_execution
async def step_retry(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    return await ctx.step(_flaky, name="flaky", config=RETRY_EVERY_SECOND)


@durable_execution
async def step_fails(event: dict[str, Any], ctx: DurableContext) -> str:
    def broken(_: StepContext) -> str:
        raise ValueError("the input was rejected")

    return await ctx.step(
        broken, name="broken", config=StepConfig(retry_strategy=RetryPresets.none())
    )


@durable_execution
async def wait_between_steps(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    before: int = await ctx.step(lambda _: event["n"] + 1, name="before")
    await ctx.wait(Duration.from_seconds(1), name="pause")

    async def inside(child: DurableContext) -> int:
        return await child.step(lambda _: before * 10, name="times-ten")

    after = await ctx.run_in_child_context(inside, name="child")
    return {"before": before, "after": after}


@durable_execution
async def callback_approval(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    config = CallbackConfig(timeout=Duration.from_seconds(60))
    callback = await ctx.create_callback("approval", config)
    try:
        answer = await callback.result()
    except CallbackError as error:
        return {
            "approved": False,
            "error_type": error.error_type,
            "sender_error_type": error.reported_error_type,
            "message": error.message,
        }
    return {"approved": True, "answer": answer}


@durable_execution
async def invoke_targets(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    durable = await ctx.invoke("DurableTarget", {"n": event["n"]}, name="durable-target")
    plain = await ctx.invoke("PlainTarget", {"n": event["n"]}, name="plain-target")
    try:
        await ctx.invoke("FailingTarget", {"n": event["n"]}, name="failing-target")
    except InvokeError as error:
        return {"durable": durable, "plain": plain, "failure": error.error_type}
    return {"durable": durable, "plain": plain, "failure": None}


@durable_execution
async def durable_target(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    doubled: int = await ctx.step(lambda _: event["n"] * 2, name="double")
    return {"doubled": doubled}


def plain_target(event: dict[str, Any], context: object) -> dict[str, Any]:
    """A plain Lambda handler (not durable): the emulator invokes it once."""
    return {"squared": event["n"] ** 2}


def failing_target(event: dict[str, Any], context: object) -> dict[str, Any]:
    """A plain Lambda handler that fails: the invoke surfaces its error."""
    raise PermissionError("the target refuses")


@durable_execution
async def map_squares(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    async def square(child: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        return await child.step(lambda _: item * item, name=f"square-{index}")

    batch = await ctx.map(event["items"], square, name="squares")
    results: list[int] = batch.get_results()
    return results


@durable_execution
async def parallel_branches(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    async def left(child: DurableContext) -> str:
        return await child.step(lambda _: "left", name="left-step")

    async def right(child: DurableContext) -> str:
        await child.wait(Duration.from_seconds(1), name="right-wait")
        return "right"

    batch = await ctx.parallel([left, right], name="branches")
    results: list[str] = batch.get_results()
    return results
