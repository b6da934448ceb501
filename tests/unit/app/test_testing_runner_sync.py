"""``with DurableTestRunner(handler) as runner``: the runner from a plain test, its calls blocking.

The block gives a ``SyncTestRunner`` whose event loop runs on a thread of its own while the
block lasts; each call runs there and the test's thread waits for it. These tests are plain
``def`` functions on purpose (no event loop of pytest's), but one: the blocking runner inside a
coroutine, where an event loop already runs.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from durable_lambda import (
    DurableContext,
    Duration,
    PlainJsonSerDes,
    WaitForCallbackConfig,
    durable_execution,
)
from durable_lambda.core.model import OperationType
from durable_lambda.testing import (
    DurableTestRunner,
    ExecutionStuckError,
    SyncRunnerError,
    SyncTestExecution,
    SyncTestRunner,
)

SEEN: dict[str, Any] = {}


@durable_execution
async def order(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    SEEN["thread"] = threading.current_thread()
    SEEN["loop"] = asyncio.get_running_loop()
    created = await ctx.step(lambda _: {"id": event["orderId"]}, name="create-order")
    await ctx.wait(Duration.from_days(3), name="cool-off")
    return {"order": created["id"], "charged": 42}


@durable_execution
async def approval(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    decision = await ctx.wait_for_callback(
        lambda callback_id, _: None,
        name="approval",
        config=WaitForCallbackConfig(serdes=PlainJsonSerDes()),
    )
    return {"decision": decision}


def test_run_blocks_until_the_execution_ends_and_returns_how_it_ended() -> None:
    with DurableTestRunner(order, always_replay=True) as runner:
        result = runner.run({"orderId": "o-1"})

    assert isinstance(runner, SyncTestRunner)
    assert result.status == "SUCCEEDED"
    assert result.result == {"order": "o-1", "charged": 42}  # the 3-day wait skipped


def test_the_handler_runs_on_the_runners_own_loop_and_thread_for_the_block_only() -> None:
    with DurableTestRunner(order) as runner:
        runner.run({"orderId": "o-2"})
        loop_thread = SEEN["thread"]
        assert loop_thread is not threading.current_thread()
        assert loop_thread.is_alive()

    assert not loop_thread.is_alive()  # the block ended: so did its thread
    assert SEEN["loop"].is_closed()


def test_an_execution_is_driven_and_inspected_as_in_an_async_test() -> None:
    with DurableTestRunner(approval) as runner:
        run = runner.start({})
        callback_id = run.callback("approval").callback_id()
        run.callback("approval").succeed({"approved": True})
        result = run.result()
        events = [event.EventType.value for event in run.history()]

    assert isinstance(run, SyncTestExecution)
    assert isinstance(callback_id, str)
    assert len(callback_id) > 100
    assert result.result == {"decision": {"approved": True}}
    assert [op.type for op in run.operations(type=OperationType.CALLBACK)] == [
        OperationType.CALLBACK
    ]
    assert run.operation("approval").type is OperationType.CONTEXT
    assert events[-1] == "ExecutionSucceeded"
    assert run.checkpoint_calls > 0
    assert len(run.invocations) == result.invocations == 2


def test_an_error_of_the_run_reaches_the_test_with_its_own_type() -> None:
    with DurableTestRunner(approval) as runner, pytest.raises(ExecutionStuckError):
        runner.run({})  # nobody answers the callback

    # The failed call left the runner usable until the block ended.
    with DurableTestRunner(approval) as runner:
        run = runner.start({})
        run.callback("approval").fail("no")
        assert run.result().status == "FAILED"


def test_a_call_after_the_block_ended_says_so() -> None:
    with DurableTestRunner(order) as runner:
        pass

    with pytest.raises(SyncRunnerError, match="`with` block has ended"):
        runner.run({"orderId": "late"})


def test_a_runner_cannot_be_inside_two_blocks_at_once_but_can_be_entered_again_after() -> None:
    durable = DurableTestRunner(order)
    with durable as runner:
        with pytest.raises(SyncRunnerError, match="inside a `with` block already"):
            durable.__enter__()
        assert runner.run({"orderId": "a"}).status == "SUCCEEDED"

    with durable as again:
        assert again is not runner
        assert again.run({"orderId": "b"}).status == "SUCCEEDED"


def test_the_blocking_runner_works_where_an_event_loop_already_runs() -> None:
    async def inside_a_coroutine() -> str:
        with DurableTestRunner(order) as runner:
            return runner.run({"orderId": "o-3"}).status

    assert asyncio.run(inside_a_coroutine()) == "SUCCEEDED"


def test_work_left_running_on_the_loop_is_cancelled_when_the_block_ends() -> None:
    started = threading.Event()
    cancelled = threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    @durable_execution
    async def leaves_a_task(event: Any, ctx: DurableContext) -> str:
        asyncio.get_running_loop().create_task(forever())
        return "done"

    with DurableTestRunner(leaves_a_task) as runner:
        assert runner.run({}).result == "done"
        assert started.wait(5)

    assert cancelled.is_set()
