"""Handlers for the step suite (requirements 1-1 to 1-20), one ``req_1_<n>`` per requirement."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from conformance.handlers._common import TransientError, configure_json_logs, uppercase_serdes
from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    StepSemantics,
    create_retry_strategy,
    durable_execution,
)

configure_json_logs()

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def _every_second(max_attempts: int) -> StepConfig:
    config = RetryStrategyConfig(
        max_attempts=max_attempts,
        initial_delay=Duration(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
    return StepConfig(retry_strategy=create_retry_strategy(config))


def _fail(message: str) -> Any:
    raise RuntimeError(message)


def _fail_before(attempt: int, result: str) -> Any:
    """A step body that fails on every attempt before ``attempt``."""

    def body(step: StepContext) -> str:
        if step.attempt < attempt:
            raise RuntimeError(f"attempt {step.attempt} failed")
        return result

    return body


@durable_execution
async def req_1_1(event: str, ctx: DurableContext) -> str:
    return await ctx.step(lambda _: f"Hello, {event}!")


@durable_execution
async def req_1_2(event: str, ctx: DurableContext) -> str:
    return await ctx.step(lambda _: f"Hello, {event}!", name="custom_step_name")


@durable_execution
async def req_1_3(event: Any, ctx: DurableContext) -> str:
    first: str = await ctx.step(lambda _: "first")
    return await ctx.step(lambda _: f"{first}_second")


@durable_execution
async def req_1_4(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    def build(_: StepContext) -> dict[str, Any]:
        tags = list(event["tags"])
        return {"user": {"name": event["name"], "tags": tags}, "count": len(tags)}

    return await ctx.step(build)


@durable_execution
async def req_1_5(event: Any, ctx: DurableContext) -> None:
    return await ctx.step(lambda _: None)


@durable_execution
async def req_1_6(event: str, ctx: DurableContext) -> str:
    return await ctx.step(lambda _: event, config=StepConfig(serdes=uppercase_serdes))


@durable_execution
async def req_1_7(event: str, ctx: DurableContext) -> str:
    def greet(step: StepContext) -> str:
        step.logger.info(f"Greeting step started for: {event}")
        greeting = f"Hello, {event}!"
        step.logger.info(f"Greeting step completed with: {greeting}")
        return greeting

    return await ctx.step(greet)


@durable_execution
async def req_1_8(event: Any, ctx: DurableContext) -> str:
    result: str = await ctx.step(lambda _: "computed")
    await ctx.wait(Duration.from_seconds(2))
    return result


@durable_execution
async def req_1_9(event: Any, ctx: DurableContext) -> str:
    def cached(step: StepContext) -> str:
        step.logger.info("step executed")
        return "cached_value"

    result: str = await ctx.step(cached)
    await ctx.wait(Duration.from_seconds(1))
    return result


@durable_execution
async def req_1_10(event: Any, ctx: DurableContext) -> str:
    def failing(step: StepContext) -> str:
        step.logger.info("step executed")
        raise RuntimeError("permanent failure")

    try:
        await ctx.step(failing, config=NO_RETRY)
    except StepError as error:
        caught = error.error_type or "StepError"
    await ctx.wait(Duration.from_seconds(1))
    return caught


@durable_execution
async def req_1_11(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(_fail_before(2, "Operation succeeded"), config=_every_second(3))


@durable_execution
async def req_1_12(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(lambda _: _fail("always fails"), config=_every_second(4))


@durable_execution
async def req_1_13(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(_fail_before(3, "succeeded with the default strategy"))


@durable_execution
async def req_1_14(event: Any, ctx: DurableContext) -> str:
    config = RetryStrategyConfig(
        max_attempts=5,
        initial_delay=Duration(2),
        backoff_rate=3,
        jitter_strategy=JitterStrategy.NONE,
    )
    retry = StepConfig(retry_strategy=create_retry_strategy(config))
    return await ctx.step(_fail_before(3, "succeeded on the third attempt"), config=retry)


def _transient_once(step: StepContext) -> str:
    if step.attempt == 1:
        raise TransientError("a transient failure")
    return "recovered"


def _retry_transient(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError) and attempts_made < 3:
        return RetryDecision.retry(Duration(1))
    return RetryDecision.no_retry()


def _never_retry_transient(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError):
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration(1))


@durable_execution
async def req_1_15(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(_transient_once, config=StepConfig(retry_strategy=_retry_transient))


@durable_execution
async def req_1_16(event: Any, ctx: DurableContext) -> str:
    config = StepConfig(retry_strategy=_never_retry_transient)
    return await ctx.step(_transient_once, config=config)


def _crash(step: StepContext, event: str) -> str:
    step.logger.info(f"running attempt {step.attempt} for {event}")
    if step.attempt == 1:
        os._exit(1)  # a Lambda runtime crash in the middle of the step
    return "succeeded on second attempt"


@durable_execution
async def req_1_17(event: str, ctx: DurableContext) -> str:
    config = StepConfig(
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=RetryPresets.none()
    )
    return await ctx.step(lambda s: _crash(s, event), name="at_most_once_flaky_step", config=config)


@durable_execution
async def req_1_18(event: str, ctx: DurableContext) -> str:
    config = _every_second(3).replace(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
    return await ctx.step(lambda s: _crash(s, event), config=config)


@durable_execution
async def req_1_19(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(lambda _: _fail("this step always fails"), config=NO_RETRY)


@durable_execution
async def req_1_20(event: Any, ctx: DurableContext) -> str:
    with contextlib.suppress(StepError):
        await ctx.step(lambda _: _fail("primary failed"), config=NO_RETRY)
    return await ctx.step(lambda _: "fallback_result")
