"""``non_blocking`` in the compatibility layer: a marked step function runs on the event loop.

The official SDK calls its step functions on the handler's thread; here the handler has a thread
of its own and an unmarked step function runs in a worker thread, a marked one on the loop's
thread (the test's own, which runs the in-memory runner).
"""

from __future__ import annotations

import threading
from typing import Any

from durable_lambda.compat.aws import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_wait_for_callback,
    non_blocking,
)
from durable_lambda.compat.aws.config import Duration, WaitForConditionConfig
from durable_lambda.compat.aws.types import WaitForCallbackContext, WaitForConditionCheckContext
from durable_lambda.compat.aws.waits import WaitForConditionDecision
from durable_lambda.testing import DurableTestRunner


@durable_step
@non_blocking
def marked_below(step_context: StepContext, value: int) -> tuple[int, int]:
    return value, threading.get_ident()


@non_blocking
@durable_step
def marked_above(step_context: StepContext, value: int) -> tuple[int, int]:
    return value, threading.get_ident()


@durable_step
def unmarked(step_context: StepContext, value: int) -> tuple[int, int]:
    return value, threading.get_ident()


@durable_wait_for_callback
@non_blocking
def submit(callback_id: str, context: WaitForCallbackContext, threads: list[int]) -> None:
    threads.append(threading.get_ident())


async def test_marked_step_functions_run_on_the_loops_thread_in_either_decorator_order() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[Any]:
        return [
            context.step(marked_below(1), name="below"),
            context.step(marked_above(2), name="above"),
            context.step(unmarked(3), name="unmarked"),
            context.step(non_blocking(lambda step: (4, threading.get_ident())), name="lambda"),
        ]

    loop_thread = threading.get_ident()
    result = await DurableTestRunner(handler).run()

    assert result.status == "SUCCEEDED", result.error
    on_loop = [[value, thread == loop_thread] for value, thread in result.result]
    assert on_loop == [[1, True], [2, True], [3, False], [4, True]]


async def test_a_marked_submitter_and_check_run_on_the_loops_thread() -> None:
    threads: list[int] = []

    @non_blocking
    def check(state: int, context: WaitForConditionCheckContext) -> int:
        threads.append(threading.get_ident())
        return state + 1

    config = WaitForConditionConfig(
        wait_strategy=lambda state, attempt: (
            WaitForConditionDecision.stop_polling()
            if state >= 1
            else WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))
        ),
        initial_state=0,
    )

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.wait_for_callback(submit(threads), name="approval")
        return context.wait_for_condition(check, config, name="poll")

    loop_thread = threading.get_ident()
    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("ok")
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == 1
    assert threads == [loop_thread, loop_thread]
