"""``non_blocking``: a marked plain function runs inline on the event loop's thread.

Driven through the in-memory ``DurableTestRunner`` (the deadline through the core's
``run_invocation``, as ``test_deadline`` drives it): the thread a function runs on is compared
with the thread of the handler, which is the event loop's.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import threading
import time
from datetime import timedelta
from typing import Any, cast

import pytest
from test_deadline import drive

import durable_lambda
from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import (
    Duration,
    MapConfig,
    StepConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.context import (
    DurableContext,
    StepContext,
    WaitForConditionCheckContext,
)
from durable_lambda.core.errors import StepError, ValidationError
from durable_lambda.core.non_blocking import is_non_blocking, non_blocking
from durable_lambda.core.operations.batch_result import BatchResult
from durable_lambda.core.operations.callback import WaitForCallbackContext
from durable_lambda.core.retry import (
    RetryStrategyConfig,
    WaitForConditionDecision,
    create_retry_strategy,
)
from durable_lambda.core.runtime import call_user_function

TRACE: contextvars.ContextVar[str] = contextvars.ContextVar("trace", default="none")


def _retrying(count: int, *, timeout: timedelta | None = None) -> StepConfig:
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=count, initial_delay=Duration(1))
    )
    return StepConfig(strategy, timeout=timeout)


# -- where a marked function runs ------------------------------------------------------------


async def test_a_marked_step_body_runs_on_the_loops_thread_and_an_unmarked_one_does_not() -> None:
    @non_blocking
    def marked(step: StepContext) -> int:
        return threading.get_ident()

    def unmarked(step: StepContext) -> int:
        return threading.get_ident()

    async def handler(event: Any, ctx: DurableContext) -> dict[str, bool]:
        loop_thread = threading.get_ident()
        inline = await ctx.step(marked, name="marked")
        threaded = await ctx.step(unmarked, name="unmarked")
        return {"marked": inline == loop_thread, "unmarked": threaded == loop_thread}

    result = await DurableTestRunner(handler).run({})

    assert result.status == "SUCCEEDED"
    assert result.result == {"marked": True, "unmarked": False}


async def test_a_marked_body_sees_the_callers_context_and_what_it_sets_stays_in_it() -> None:
    TRACE.set("trace-7")

    @non_blocking
    def body(step: None) -> str:
        seen = TRACE.get()
        TRACE.set("set-by-the-body")
        return seen

    assert await call_user_function(body, None) == "trace-7"
    assert TRACE.get() == "trace-7"  # as for a body run in a worker thread


async def test_a_marked_body_that_returns_an_awaitable_has_it_awaited_on_the_loop() -> None:
    async def fetch(value: int) -> tuple[int, int]:
        await asyncio.sleep(0)
        return value, threading.get_ident()

    async def handler(event: Any, ctx: DurableContext) -> bool:
        value, thread = await ctx.step(non_blocking(lambda step: fetch(5)), name="fetch")
        return bool(value == 5 and thread == threading.get_ident())

    result = await DurableTestRunner(handler).run({})

    assert result.result is True


async def test_a_failing_marked_body_is_retried_as_any_body_is() -> None:
    attempts: list[int] = []

    @non_blocking
    def flaky(step: StepContext) -> str:
        attempts.append(step.attempt)
        if step.attempt < 3:
            raise ConnectionError(f"attempt {step.attempt}")
        return "done"

    @non_blocking
    def broken(step: StepContext) -> None:
        raise KeyError("missing")

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        done = await ctx.step(flaky, name="flaky", config=_retrying(3))
        try:
            await ctx.step(broken, name="broken", config=_retrying(1))
        except StepError as error:
            return {"done": done, "type": error.error_type}
        return {}

    result = await DurableTestRunner(handler).run({})

    assert result.result == {"done": "done", "type": "KeyError"}
    assert attempts == [1, 2, 3]


async def test_map_and_parallel_run_marked_functions_on_the_loops_thread() -> None:
    @non_blocking
    def double(ctx: DurableContext, item: int, index: int, items: Any) -> tuple[int, int]:
        return item * 2, threading.get_ident()

    @non_blocking
    def branch(ctx: DurableContext) -> int:
        return threading.get_ident()

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        loop_thread = threading.get_ident()
        # DurableContext types map and parallel functions as async ones; plain ones run too.
        plain_double = cast(Any, double)
        config = MapConfig(max_concurrency=2)
        mapped: BatchResult[Any] = await ctx.map([1, 2, 3], plain_double, name="map", config=config)
        branches: BatchResult[Any] = await ctx.parallel(cast(Any, [branch, branch]), name="p")
        values = mapped.get_results()
        return {
            "doubled": [value for value, _ in values],
            "map on loop": all(thread == loop_thread for _, thread in values),
            "parallel on loop": all(t == loop_thread for t in branches.get_results()),
        }

    result = await DurableTestRunner(handler).run({})

    assert result.result == {"doubled": [2, 4, 6], "map on loop": True, "parallel on loop": True}


async def test_a_marked_submitter_and_a_marked_check_run_on_the_loops_thread() -> None:
    threads: dict[str, int] = {}

    @non_blocking
    def submit(callback_id: str, context: WaitForCallbackContext) -> None:
        threads["submitter"] = threading.get_ident()

    @non_blocking
    def check(state: int, context: WaitForConditionCheckContext) -> int:
        threads["check"] = threading.get_ident()
        return state + 1

    config: WaitForConditionConfig[int] = WaitForConditionConfig(
        wait_strategy=lambda state, attempt: (
            WaitForConditionDecision.stop_polling()
            if state >= 1
            else WaitForConditionDecision.continue_waiting(Duration(1))
        ),
        initial_state=0,
    )

    async def handler(event: Any, ctx: DurableContext) -> int:
        threads["handler"] = threading.get_ident()
        await ctx.wait_for_callback(submit, name="approval")
        state: int = await ctx.wait_for_condition(check, config, name="poll")
        return state

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("ok")
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert threads["submitter"] == threads["check"] == threads["handler"]


# -- the limits: a marked body cannot be interrupted -------------------------------------------


async def test_a_marked_body_that_outruns_its_timeout_fails_when_it_returns() -> None:
    finished: list[int] = []

    @non_blocking
    def slow_then_fast(step: StepContext) -> str:
        if step.attempt == 1:
            time.sleep(0.2)  # blocks the loop: nothing can stop it before it returns
        finished.append(step.attempt)
        return f"attempt {step.attempt}"

    async def handler(event: Any, ctx: DurableContext) -> str:
        config = _retrying(3, timeout=timedelta(milliseconds=50))
        return str(await ctx.step(slow_then_fast, name="call", config=config))

    run = await DurableTestRunner(handler).start()
    outcome = await run.result()

    # The first attempt ran to its end, and still counts as failed: its result is dropped.
    assert finished == [1, 2]
    assert outcome.result == "attempt 2"
    (failure,) = [
        event.StepFailedDetails.Error.Payload
        for event in await run.history()
        if event.StepFailedDetails is not None and event.StepFailedDetails.Error is not None
    ]
    assert failure is not None
    assert failure.ErrorType == "StepTimeoutError"
    assert "non_blocking body ran on the event loop's thread" in (failure.ErrorMessage or "")


async def test_a_marked_body_that_returns_in_time_keeps_its_result_under_a_timeout() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        config = _retrying(1, timeout=timedelta(seconds=30))
        return str(await ctx.step(non_blocking(lambda step: "quick"), name="call", config=config))

    assert (await DurableTestRunner(handler).run({})).result == "quick"


async def test_a_marked_body_that_blocks_past_the_deadline_keeps_its_result() -> None:
    ran: list[str] = []

    @non_blocking
    def blocking(step: StepContext) -> str:
        ran.append("blocking")
        time.sleep(0.8)  # past the deadline: the deadline's timer cannot fire meanwhile
        return "kept"

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        first = await ctx.step(blocking, name="blocking")
        second = await ctx.step(lambda step: "next", name="next")
        return [first, second]

    outcome = await drive(handler, seconds=1.0, margin=0.5)

    # The body is not run again; the invocation ended at the step after it.
    assert ran == ["blocking"]
    assert outcome.statuses == ["PENDING", "SUCCEEDED"]
    assert json.loads(outcome.outputs[-1].Result or "null") == ["kept", "next"]


# -- the mark itself ---------------------------------------------------------------------------


def test_the_mark_is_exported_from_the_package() -> None:
    assert durable_lambda.non_blocking is non_blocking


def test_a_function_is_marked_in_place_and_a_partial_of_it_is_marked_too() -> None:
    def add(step: object, n: int) -> int:
        return n + 1

    assert not is_non_blocking(add)
    assert non_blocking(add) is add
    assert is_non_blocking(add)
    assert is_non_blocking(functools.partial(add, n=1))
    assert non_blocking(add) is add  # marking twice changes nothing


def test_a_bound_method_is_wrapped_and_its_class_is_left_unmarked() -> None:
    class Client:
        def get(self, step: object) -> str:
            return "got"

    client = Client()
    marked = non_blocking(client.get)

    assert is_non_blocking(marked)
    assert marked(None) == "got"
    assert marked.__name__ == "get"
    assert not is_non_blocking(Client().get)


def test_marking_what_is_not_callable_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="non_blocking needs a callable, got int"):
        non_blocking(3)  # type: ignore[type-var]


# -- unmarked plain bodies ---------------------------------------------------------------------


async def test_an_unmarked_body_raising_stop_iteration_fails_instead_of_hanging() -> None:
    # StopIteration cannot be set on an asyncio future: before, the awaiting task waited forever
    # (the wait_for only turns such a hang into a failure of this test).
    def body(step: None) -> None:
        raise StopIteration

    with pytest.raises(RuntimeError, match="raised StopIteration"):
        await asyncio.wait_for(call_user_function(body, None), 10)
