"""The Lambda context and the invocation deadline in each host: Lambda, the test runner, local.

On Lambda the entry point hands the runtime's context object through; the test runner and the
orchestrator give each invocation a ``LocalLambdaContext`` whose time-out is theirs to set.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from durable_lambda import (
    DurableContext,
    Duration,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    ValidationError,
    create_retry_strategy,
    durable_execution,
)
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.definition import FunctionSettings
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.core.model import OperationStatus
from durable_lambda.testing import DurableTestRunner, LocalLambdaContext

SHORT = timedelta(milliseconds=400)
MARGIN = timedelta(milliseconds=200)


def _attempts(count: int) -> StepConfig:
    return StepConfig(
        create_retry_strategy(RetryStrategyConfig(max_attempts=count, initial_delay=Duration(1)))
    )


@durable_execution(deadline_margin=MARGIN)
async def stuck_handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
    async def stuck(step: StepContext) -> None:
        await asyncio.sleep(3600)

    try:
        await ctx.step(stuck, name="stuck", config=_attempts(2))
    except StepError as error:
        return {"type": error.error_type}
    return {}


async def test_the_runners_simulated_deadline_stops_a_step_that_can_never_finish() -> None:
    runner = DurableTestRunner(stuck_handler, lambda_timeout=SHORT)
    run = await runner.start()
    result = await run.result()

    assert result.result == {"type": "StepDeadlineError"}
    assert [output.Status.value for output in run.invocations] == ["PENDING", "SUCCEEDED"]
    step = run.step("stuck")
    assert step.status is OperationStatus.FAILED
    assert step.error is not None
    assert step.error.ErrorType == "StepDeadlineError"


async def test_the_runner_gives_each_invocation_a_lambda_context_of_its_own() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        context = ctx.lambda_context
        assert context is not None
        seen.append(
            {
                "request": context.aws_request_id,
                "name": context.function_name,
                "arn": context.invoked_function_arn,
                "left": context.get_remaining_time_in_millis(),
            }
        )

        def in_a_step(step: StepContext) -> int:
            return 1 if ctx.lambda_context is context else 0

        return str(await ctx.step(in_a_step, name="same") + len(seen))

    runner = DurableTestRunner(
        handler, always_replay=True, function_name="orders", lambda_timeout=Duration(30)
    )
    result = await runner.run()

    assert result.status == "SUCCEEDED"
    assert len(seen) == result.invocations == 2
    assert seen[0]["request"] != seen[1]["request"]
    assert {entry["name"] for entry in seen} == {"orders"}
    assert seen[0]["arn"].endswith(":function:orders:$LATEST")
    assert all(0 < entry["left"] <= 30_000 for entry in seen)


async def test_a_fast_handler_is_not_affected_by_the_default_deadline() -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        return int(await ctx.step(lambda s: 3, name="three"))

    assert (await DurableTestRunner(handler).run()).result == 3


def test_the_lambda_entry_point_hands_the_context_through_and_stops_before_its_time_out() -> None:
    clock = FakeClock()
    service = LocalDurableService(InMemoryExecutionStore(), clock)
    arn = asyncio.run(service.start_execution("orders", "{}"))
    handed: list[object] = []

    @durable_execution(deadline_margin=MARGIN)
    async def handler(event: Any, ctx: DurableContext) -> str:
        handed.append(ctx.lambda_context)

        async def slow(step: StepContext) -> str:
            await asyncio.sleep(3600)
            return "never"

        return str(await ctx.step(slow, name="slow", config=_attempts(3)))

    handler.lambda_container.service.override(service)
    handler.lambda_container.clock.override(clock)
    context = SimpleNamespace(
        aws_request_id="req-1",
        function_name="orders",
        get_remaining_time_in_millis=_remaining_from_now(0.4),
    )
    event = asyncio.run(service.invocation_input(arn)).to_wire()

    output = handler(event, context)

    assert output == {"Status": "PENDING"}
    assert handed == [context]
    record = asyncio.run(service.get_record(arn))
    (step,) = [op for op in record.operations.values() if op.Name == "slow"]
    assert step.Status is OperationStatus.PENDING  # a retry is scheduled: the attempt counted
    assert step.StepDetails is not None
    assert step.StepDetails.Attempt == 1
    assert step.StepDetails.Error is not None
    assert step.StepDetails.Error.ErrorType == "StepDeadlineError"


def _remaining_from_now(seconds: float) -> Any:
    ends = time.monotonic() + seconds
    return lambda: max(0, int((ends - time.monotonic()) * 1000))


REMAINING = """
    from durable_lambda import durable_execution

    @durable_execution
    async def handler(event, ctx):
        return ctx.lambda_context.get_remaining_time_in_millis()
"""


async def test_the_orchestrator_gives_each_invocation_a_lambda_context(tmp_path: Path) -> None:
    module = tmp_path / "remaining.py"
    module.write_text(textwrap.dedent(REMAINING))
    orchestrator = LocalOrchestrator(
        InMemoryExecutionStore(), clock=FakeClock(), lambda_timeout=Duration(60)
    )
    arn = await orchestrator.start(f"{module}:handler", {})
    record = await orchestrator.run(arn)

    left = json.loads(record.result or "null")
    assert 0 < left <= 60_000


def test_the_margin_and_the_time_out_are_checked_when_given() -> None:
    assert FunctionSettings().deadline_margin == 2.0

    @durable_execution(deadline_margin=None)
    async def off(event: Any, ctx: DurableContext) -> None: ...

    assert off.settings.deadline_margin is None

    @durable_execution(deadline_margin=Duration.from_seconds(5))
    async def five(event: Any, ctx: DurableContext) -> None: ...

    assert five.settings.deadline_margin == 5.0
    with pytest.raises(ValidationError, match="deadline_margin must be longer than 0 seconds"):
        durable_execution(deadline_margin=timedelta(0))
    with pytest.raises(ValidationError, match="lambda_timeout must be a Duration"):
        DurableTestRunner(off, lambda_timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout must be longer than 0 seconds"):
        LocalLambdaContext(timeout=-1)


def test_the_stand_in_counts_down_from_its_time_out() -> None:
    context = LocalLambdaContext(timeout=timedelta(seconds=30), function_name="f")
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000
    assert (
        context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
    )
    assert context.log_group_name == "/aws/lambda/f"
