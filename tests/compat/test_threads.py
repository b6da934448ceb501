"""How durable_lambda.compat.aws runs synchronous user code beside the event loop."""

from __future__ import annotations

import threading
from typing import Any

from durable_lambda.compat.aws import DurableContext, StepError, durable_execution
from durable_lambda.compat.aws.config import (
    CompletionConfig,
    Duration,
    MapConfig,
    StepConfig,
)
from durable_lambda.compat.aws.retries import RetryPresets
from durable_lambda.core.model import OperationStatus
from durable_lambda.testing import DurableTestRunner


async def test_a_suspension_passes_through_the_users_except_exception() -> None:
    caught: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.wait(Duration.from_minutes(5), name="pause")
        except Exception as error:  # a suspension is not an Exception: never caught here
            caught.append(type(error).__name__)
        return "after the wait"

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "after the wait"
    assert result.invocations == 2  # suspended, then resumed when the wait ended
    assert caught == []


async def test_the_handler_sees_the_invocations_lambda_context() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[str]:
        return [
            context.lambda_context.function_name,
            context.execution_context.durable_execution_arn.split(":")[0],
        ]

    result = await DurableTestRunner(handler, function_name="orders").run()
    assert result.result == ["orders", "arn"]


async def test_items_abandoned_by_an_early_completion_stop_at_their_next_durable_call() -> None:
    release = threading.Event()
    reached: list[str] = []

    def slow(step_context: Any) -> str:
        release.wait()  # the test releases it once the invocation is over
        return "slow"

    def item(context: DurableContext, value: int, index: int, values: Any) -> str:
        if value == 0:
            return "fast"
        context.step(slow, name=f"slow-{value}")
        reached.append(f"after slow-{value}")  # never: the item was abandoned at the step
        return "late"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = MapConfig(3, CompletionConfig.first_successful())
        result = context.map([0, 1, 2], item, name="race", config=config)
        return [result.get_results(), result.completion_reason.value]

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    release.set()
    for thread in threading.enumerate():
        if thread.name == "durable-item":
            thread.join(timeout=30)  # a bound, not a measurement: they end once released

    assert result.status == "SUCCEEDED", result.error
    assert result.result == [["fast"], "MIN_SUCCESSFUL_REACHED"]
    assert reached == []
    assert not any(t.name == "durable-item" and t.is_alive() for t in threading.enumerate())
    statuses = {op.name: op.status for op in run.operations(parent="race")}
    assert statuses["map-item-0"] is OperationStatus.SUCCEEDED


async def test_a_durable_call_from_the_loops_own_thread_is_refused_clearly() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        async def body(step_context: Any) -> int:
            # An async step body runs on the event loop: a blocking durable call there would
            # wait for the loop forever.
            return context.step(lambda _: 1, name="inner")

        try:
            # An async body is outside the official SDK's API: typed as what it returns.
            outer: Any = body
            context.step(outer, name="outer", config=StepConfig(RetryPresets.none()))
        except StepError as error:
            return str(error)
        return "no error"

    result = await DurableTestRunner(handler).run()
    assert "event loop's thread" in result.result
