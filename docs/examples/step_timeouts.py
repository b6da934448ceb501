"""The examples of docs/operations/step-timeouts.md."""

# ruff: noqa: D103
# --8<-- [start:timeout]
import asyncio
from datetime import timedelta
from typing import Any

from durable_lambda import (
    DurableContext,
    Duration,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    create_retry_strategy,
)
from durable_lambda.testing import DurableTestRunner

ATTEMPTS: list[int] = []


async def call_partner(step: StepContext) -> str:
    ATTEMPTS.append(step.attempt)
    if step.attempt < 3:
        await asyncio.sleep(60)  # the partner hangs; the time-out cancels this await
    return "confirmed"


PARTNER = StepConfig(
    create_retry_strategy(RetryStrategyConfig(max_attempts=3, initial_delay=Duration(2))),
    timeout=timedelta(milliseconds=100),  # a Duration in real code: Duration.from_seconds(30)
)


async def book(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(call_partner, name="call-partner", config=PARTNER)


async def test_two_attempts_time_out_and_the_third_succeeds() -> None:
    ATTEMPTS.clear()
    result = await DurableTestRunner(book).run()

    assert result.result == "confirmed"
    assert ATTEMPTS == [1, 2, 3]


# --8<-- [end:timeout]


# --8<-- [start:exhausted]
async def always_hangs(step: StepContext) -> None:
    await asyncio.sleep(60)


async def give_up(event: Any, ctx: DurableContext) -> str:
    try:
        await ctx.step(always_hangs, name="hangs", config=PARTNER)
    except StepError as error:
        return f"{error.error_type}: {error.message}"
    return "unreachable"


async def test_a_step_that_always_hangs_fails_after_its_retries() -> None:
    result = await DurableTestRunner(give_up).run()
    assert result.result == (
        "StepTimeoutError: the step attempt ran longer than its timeout of 0.1 s"
    )


# --8<-- [end:exhausted]


# --8<-- [start:thread]
import time  # noqa: E402


def export_rows(step: StepContext) -> int:
    exported = 0
    for _ in range(1000):
        if step.stop_requested:  # the attempt was given up on: stop early
            break
        time.sleep(0.01)  # one unit of blocking work
        exported += 1
    return exported


async def export(event: Any, ctx: DurableContext) -> int:
    config = StepConfig(
        create_retry_strategy(RetryStrategyConfig(max_attempts=1)),
        timeout=timedelta(milliseconds=100),
    )
    try:
        return await ctx.step(export_rows, name="export", config=config)
    except StepError:
        return -1


async def test_a_plain_function_body_sees_the_stop_and_returns() -> None:
    result = await DurableTestRunner(export).run()
    assert result.result == -1


# --8<-- [end:thread]
