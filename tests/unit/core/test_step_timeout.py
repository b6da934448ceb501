"""``StepConfig(timeout=...)``: an attempt that runs too long fails; its retry strategy decides."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.attempt_errors import StepTimeoutError
from durable_lambda.core.config import Duration, StepConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import StepError, ValidationError
from durable_lambda.core.retry import RetryStrategyConfig, create_retry_strategy

SHORT = timedelta(milliseconds=50)


def _attempts(count: int, **filters: Any) -> StepConfig:
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=count, initial_delay=Duration(1), **filters)
    )
    return StepConfig(strategy, timeout=SHORT)


async def test_an_async_attempt_that_runs_too_long_is_cancelled_and_retried() -> None:
    attempts: list[int] = []
    cancelled: list[int] = []

    async def slow_then_fast(step: StepContext) -> str:
        attempts.append(step.attempt)
        if step.attempt == 1:
            try:
                await asyncio.Event().wait()  # never set: only the time-out ends it
            except asyncio.CancelledError:
                cancelled.append(step.attempt)
                raise
        return "done"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(slow_then_fast, name="call", config=_attempts(3)))

    runner = DurableTestRunner(handler)
    run = await runner.start()
    outcome = await run.result()

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == "done"
    assert attempts == [1, 2]
    assert cancelled == [1]
    (failed_attempt,) = [
        event.StepFailedDetails
        for event in await run.history()
        if event.Name == "call" and event.StepFailedDetails is not None
    ]
    assert failed_attempt.Error is not None
    assert failed_attempt.Error.Payload is not None
    assert failed_attempt.Error.Payload.ErrorType == "StepTimeoutError"


async def test_a_step_that_always_runs_too_long_fails_after_its_retries() -> None:
    async def stuck(step: StepContext) -> None:
        await asyncio.Event().wait()

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        try:
            await ctx.step(stuck, name="stuck", config=_attempts(2))
        except StepError as error:
            return {"type": error.error_type, "message": error.message}
        return {}

    runner = DurableTestRunner(handler)
    run = await runner.start()
    outcome = await run.result()

    assert outcome.result == {
        "type": "StepTimeoutError",
        "message": "the step attempt ran longer than its timeout of 0.05 s",
    }
    assert run.step("stuck").attempts == 2  # the service counts the FAIL too
    assert outcome.invocations == 2


async def test_a_plain_function_attempt_is_abandoned_in_its_thread() -> None:
    release = threading.Event()
    saw_stop: list[bool] = []

    def blocking(step: StepContext) -> str:
        if step.attempt == 1:
            # Blocks until the SDK gives up on the attempt: only then can it notice and stop.
            while not step.stop_requested:
                release.wait(0.01)
            saw_stop.append(step.stop_requested)
            return "too late"  # dropped: the attempt is already recorded as failed
        return "second attempt"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(blocking, name="blocking", config=_attempts(2)))

    outcome = await DurableTestRunner(handler).run()

    assert outcome.result == "second attempt"
    assert saw_stop == [True]


async def test_the_bodys_own_timeout_error_is_a_failure_like_any_other() -> None:
    async def raises_timeout(step: StepContext) -> None:
        raise TimeoutError("the remote end timed out")

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.step(raises_timeout, name="remote", config=_attempts(1))
        except StepError as error:
            return f"{error.error_type}: {error.message}"
        return ""

    outcome = await DurableTestRunner(handler).run()
    assert outcome.result == "TimeoutError: the remote end timed out"


async def test_a_retry_strategy_can_tell_a_time_out_from_other_errors() -> None:
    attempts: list[int] = []

    async def sometimes_slow(step: StepContext) -> str:
        attempts.append(step.attempt)
        if step.attempt == 1:
            raise ValueError("bad input")  # not retried: the filter names TimeoutError only
        return "unreachable"

    async def handler(event: Any, ctx: DurableContext) -> str:
        config = _attempts(3, retryable_error_types=(TimeoutError,))
        try:
            await ctx.step(sometimes_slow, name="filtered", config=config)
        except StepError as error:
            return error.error_type
        return ""

    assert (await DurableTestRunner(handler).run()).result == "ValueError"
    assert attempts == [1]
    assert issubclass(StepTimeoutError, TimeoutError)


async def test_a_fast_attempt_is_not_affected() -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        return int(
            await ctx.step(
                lambda s: 7, name="fast", config=StepConfig(timeout=Duration.from_minutes(1))
            )
        )

    assert (await DurableTestRunner(handler).run()).result == 7


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(
        ValidationError, match=r"StepConfig\.timeout: must be longer than 0 seconds"
    ):
        StepConfig(timeout=timedelta(0))
    assert StepConfig(timeout=Duration(3)).timeout_seconds == 3.0
    assert StepConfig(timeout=SHORT).timeout_seconds == 0.05
    assert StepConfig().timeout_seconds is None
