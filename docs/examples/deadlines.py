"""The examples of docs/deadlines.md."""

# ruff: noqa: D103
# --8<-- [start:deadline]
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
    durable_execution,
)
from durable_lambda.testing import DurableTestRunner

THREE_TRIES = StepConfig(
    create_retry_strategy(RetryStrategyConfig(max_attempts=3, initial_delay=Duration(10)))
)


async def render_video(step: StepContext) -> str:
    await asyncio.sleep(3600)  # longer than any invocation can last
    return "video.mp4"


@durable_execution(deadline_margin=timedelta(milliseconds=200))  # in real code: the default 2 s
async def publish(event: dict[str, Any], ctx: DurableContext) -> str:
    try:
        return await ctx.step(render_video, name="render", config=THREE_TRIES)
    except StepError as error:
        return f"gave up: {error.error_type}"


async def test_a_step_that_cannot_finish_in_one_invocation_fails_after_its_retries() -> None:
    # Each invocation has 0.5 s, as if the function's time-out were that short.
    runner = DurableTestRunner(publish, lambda_timeout=timedelta(milliseconds=500))
    run = await runner.start({})
    result = await run.result()

    assert result.result == "gave up: StepDeadlineError"
    assert [output.Status.value for output in run.invocations] == [
        "PENDING",  # attempt 1 stopped 0.2 s before the time-out, retry due in 10 s
        "PENDING",  # attempt 2 likewise
        "SUCCEEDED",  # attempt 3 stopped too: the strategy gave up, the handler caught it
    ]
    assert run.step("render").error is not None


# --8<-- [end:deadline]


# --8<-- [start:cooperative]
import time  # noqa: E402


def resize_images(step: StepContext) -> int:
    done = 0
    for _ in range(10_000):
        if step.stop_requested:  # the deadline (or the step's time-out) gave up on us
            break
        time.sleep(0.01)  # one image
        done += 1
    return done


@durable_execution(deadline_margin=timedelta(milliseconds=200))
async def thumbnails(event: dict[str, Any], ctx: DurableContext) -> str:
    try:
        await ctx.step(resize_images, name="resize", config=THREE_TRIES)
    except StepError as error:
        return error.error_type
    return "done"


async def test_a_plain_function_step_sees_the_stop_and_returns() -> None:
    runner = DurableTestRunner(thumbnails, lambda_timeout=timedelta(milliseconds=500))
    assert (await runner.run({})).result == "StepDeadlineError"


# --8<-- [end:cooperative]
