"""The invocation deadline: attempts stop a margin before Lambda's time-out, counted as failures.

These tests drive the core's ``run_invocation`` against the local service (in memory, fake clock
for timers), handing each invocation a Lambda context whose remaining time is short; the time an
attempt runs is real, as on Lambda. The test runner's and the entry point's own tests are in
``tests/unit/app/test_deadline_hosts.py``.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.attempt_errors import StepDeadlineError
from durable_lambda.core.config import Duration, StepConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.deadline import InvocationDeadline
from durable_lambda.core.errors import StepError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import InvocationOutput, OperationStatus
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.retry import RetryStrategyConfig, create_retry_strategy
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.service.record import ExecutionRecord


class ShortLambdaContext:
    """A Lambda context whose invocation has ``seconds`` left when it is made."""

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds
        self.aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


@dataclass
class Drive:
    """What driving one execution to its end came to."""

    outputs: list[InvocationOutput] = field(default_factory=list)
    record: ExecutionRecord | None = None

    @property
    def statuses(self) -> list[str]:
        return [output.Status.value for output in self.outputs]


async def drive(
    handler: Any,
    *,
    seconds: float,
    margin: float | None,
    max_invocations: int = 8,
) -> Drive:
    """Invoke ``handler`` as the service would until its execution ends, timers skipped."""
    clock = FakeClock()
    service = LocalDurableService(InMemoryExecutionStore(), clock)
    arn = await service.start_execution("f", "{}")
    result = Drive()
    for _ in range(max_invocations):
        record = await service.get_record(arn)
        if record.status.is_terminal:
            break
        if not await service.needs_invocation(arn):
            due = await service.next_due(arn)
            assert due is not None, "the execution waits on nothing: it would never end"
            clock.set(due)
            await service.advance(arn)
            continue
        event = (await service.invocation_input(arn)).to_wire()
        output = await run_invocation(
            handler,
            parse_invocation_input(event),
            service=service,
            serdes=JsonSerDes(),
            clock=clock,
            random=random.Random(0),
            logger=NullLogger(),
            options=RuntimeOptions(deadline_margin=margin),
            lambda_context=ShortLambdaContext(seconds),
        )
        result.outputs.append(output)
        await service.record_invocation(arn, clock.now(), clock.now(), output)
    result.record = await service.get_record(arn)
    return result


def attempts(count: int) -> StepConfig:
    return StepConfig(
        create_retry_strategy(RetryStrategyConfig(max_attempts=count, initial_delay=Duration(1)))
    )


async def test_a_step_that_can_never_finish_in_one_invocation_fails_after_its_retries() -> None:
    started: list[int] = []

    async def stuck(step: StepContext) -> None:
        started.append(step.attempt)
        await asyncio.Event().wait()  # runs until the deadline cuts it short

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        done = await ctx.step(lambda s: "done", name="before")
        try:
            await ctx.step(stuck, name="stuck", config=attempts(3))
        except StepError as error:
            return {"before": done, "type": error.error_type, "message": error.message}
        return {}

    run = await drive(handler, seconds=0.4, margin=0.2)

    # Each invocation ends PENDING before Lambda's time-out; the third attempt is the last.
    assert run.statuses == ["PENDING", "PENDING", "SUCCEEDED"]
    assert started == [1, 2, 3]
    assert run.record is not None
    result = run.record.result
    assert result is not None
    assert '"type": "StepDeadlineError"' in result
    assert "deadline margin (0.2 s before Lambda's time-out)" in result
    assert '"before": "done"' in result


async def test_an_interrupted_attempt_that_succeeds_next_time_completes_the_execution() -> None:
    async def slow_once(step: StepContext) -> str:
        if step.attempt == 1:
            await asyncio.sleep(60)
        return f"attempt {step.attempt}"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(slow_once, name="slow", config=attempts(2)))

    run = await drive(handler, seconds=0.3, margin=0.1)

    assert run.statuses == ["PENDING", "SUCCEEDED"]
    assert run.outputs[-1].Result == '"attempt 2"'


async def test_a_step_reached_after_the_deadline_is_deferred_without_counting_an_attempt() -> None:
    first_invocation = [True]
    seen: list[int] = []

    def second(step: StepContext) -> str:
        seen.append(step.attempt)
        return "second"

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        one = await ctx.step(lambda s: "first", name="first")
        if first_invocation:
            first_invocation.clear()
            await asyncio.sleep(0.25)  # slow code between steps: the deadline passes here
        # One attempt allowed: a deferral that counted would leave none.
        two = await ctx.step(second, name="second", config=attempts(1))
        return [one, two]

    run = await drive(handler, seconds=0.3, margin=0.1)

    assert run.statuses == ["PENDING", "SUCCEEDED"]
    assert run.outputs[-1].Result == '["first", "second"]'
    assert seen == [1]  # the body ran once, as its first attempt
    assert run.record is not None
    second_step = next(op for op in run.record.operations.values() if op.Name == "second")
    assert second_step.Status is OperationStatus.SUCCEEDED


async def test_a_plain_function_step_is_abandoned_and_its_next_attempt_waits_for_its_thread() -> (
    None
):
    order: list[str] = []

    def blocking(step: StepContext) -> str:
        if step.attempt == 1:
            while not step.stop_requested:  # a body that checks, as the docs advise
                threading.Event().wait(0.01)
            order.append("attempt 1 saw the stop")
            threading.Event().wait(0.15)  # still winding down when the retry is due
            order.append("attempt 1 ended")
            return "dropped"
        order.append(f"attempt {step.attempt} started")
        return "second"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(blocking, name="blocking", config=attempts(2)))

    run = await drive(handler, seconds=0.6, margin=0.3)

    assert run.statuses == ["PENDING", "SUCCEEDED"]
    assert run.outputs[-1].Result == '"second"'
    assert order == ["attempt 1 saw the stop", "attempt 1 ended", "attempt 2 started"]


async def test_without_a_margin_nothing_is_cut_short() -> None:
    async def slow(step: StepContext) -> str:
        await asyncio.sleep(0.2)
        return "finished"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(slow, name="slow", config=attempts(1)))

    run = await drive(handler, seconds=0.1, margin=None)
    assert run.statuses == ["SUCCEEDED"]


def test_the_margin_is_at_most_half_of_the_time_left() -> None:
    deadline = InvocationDeadline.from_lambda_context(ShortLambdaContext(10), 2.0, now=100.0)
    assert deadline is not None
    assert deadline.margin_seconds == 2.0
    assert deadline.stop_at == pytest.approx(108.0, abs=0.05)
    tight = InvocationDeadline.from_lambda_context(ShortLambdaContext(1), 2.0, now=0.0)
    assert tight is not None
    assert tight.margin_seconds == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(
    "context",
    [
        None,
        object(),
        SimpleNamespace(get_remaining_time_in_millis="soon"),
        SimpleNamespace(get_remaining_time_in_millis=lambda: "soon"),
        SimpleNamespace(get_remaining_time_in_millis=lambda: -5),
        SimpleNamespace(get_remaining_time_in_millis=lambda: float("nan")),
        SimpleNamespace(get_remaining_time_in_millis=lambda: True),
        SimpleNamespace(get_remaining_time_in_millis=lambda: 1 / 0),
    ],
)
def test_a_context_that_cannot_tell_its_remaining_time_sets_no_deadline(context: object) -> None:
    assert InvocationDeadline.from_lambda_context(context, 2.0, now=0.0) is None


def test_the_deadline_error_is_a_timeout_error() -> None:
    error = StepDeadlineError("cut short", margin_seconds=2.0)
    assert isinstance(error, TimeoutError)
    assert error.margin_seconds == 2.0
