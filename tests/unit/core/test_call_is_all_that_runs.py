"""``call_is_all_that_runs``: the checkpointer says when nothing but its call can run.

The boto3 adapter makes a call on the event loop's thread only when this says so; a wrong True
would freeze a branch that could have run while the call was on the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from durable_lambda.core.checkpointer import Checkpointer, call_is_all_that_runs
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.state import DurableState

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/1"


class SeeingService:
    """A DurableService fake that records what ``call_is_all_that_runs`` said at each call."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        self.seen.append(call_is_all_that_runs())
        return CheckpointResponse(CheckpointToken="next", NewExecutionState=ExecutionState())

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        raise AssertionError("no paging here")


def _update(n: int) -> OperationUpdate:
    return OperationUpdate(
        Id=f"op-{n}", Type=OperationType.STEP, SubType="Step", Action=OperationAction.SUCCEED
    )


def _state() -> DurableState:
    execution = Operation(
        Id="exec",
        Type=OperationType.EXECUTION,
        Status=OperationStatus.STARTED,
        StartTimestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return DurableState(ARN, [execution])


def _checkpointer(service: SeeingService, mode: CheckpointMode) -> Checkpointer:
    return Checkpointer(service, _state(), "t0", mode)


def test_outside_a_call_nothing_is_promised() -> None:
    assert call_is_all_that_runs() is False


async def test_a_call_every_other_task_waits_for_is_all_that_runs() -> None:
    service = SeeingService()
    checkpointer = _checkpointer(service, CheckpointMode.EAGER)
    for n in range(3):
        await checkpointer.send(_update(n))
    assert service.seen == [True, True, True]
    assert call_is_all_that_runs() is False  # not left set in the caller's context


async def test_a_task_doing_other_work_means_the_call_is_not_all_that_runs() -> None:
    service = SeeingService()
    checkpointer = _checkpointer(service, CheckpointMode.EAGER)
    release = asyncio.Event()

    async def other_work() -> None:
        await release.wait()  # a branch waiting on something else: it could run meanwhile

    other = asyncio.create_task(other_work())
    await checkpointer.send(_update(1))
    release.set()
    await other
    await checkpointer.send(_update(2))
    assert service.seen == [False, True]


async def test_two_branches_both_waiting_for_the_checkpointer_leave_only_the_call() -> None:
    service = SeeingService()
    checkpointer = _checkpointer(service, CheckpointMode.BATCHED)

    async def branch(n: int) -> None:
        checkpointer.enqueue(_update(n))
        await checkpointer.flush()

    await asyncio.gather(branch(1), branch(2))
    # gather's two tasks and this one (awaiting gather, not the checkpointer): the call did not
    # count this task as waiting, so it went the safe way.
    assert service.seen == [False]


async def test_a_background_call_nobody_waits_for_is_not_all_that_runs() -> None:
    service = SeeingService()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.BATCHED, linger_seconds=0)
    checkpointer.enqueue(_update(1))  # BATCHED sends in the background
    await asyncio.sleep(0.01)  # the handler goes on with other work meanwhile
    assert service.seen == [False]


async def test_a_flush_with_nothing_else_to_run_makes_the_call_itself() -> None:
    service = SeeingService()
    checkpointer = _checkpointer(service, CheckpointMode.BATCHED)
    checkpointer.enqueue(_update(1))
    tasks_before = len(asyncio.all_tasks())
    await checkpointer.flush()  # no sender task, no waiter: the call is made from here
    assert service.seen == [True]
    assert checkpointer._sender is None
    assert len(asyncio.all_tasks()) == tasks_before
    await asyncio.sleep(0)  # the sender start scheduled by enqueue finds nothing to send
    assert checkpointer._sender is None
    assert checkpointer.pending == 0


def test_a_finished_invocations_task_is_not_kept_for_the_next_one() -> None:
    # The orphan guard holds the invocation's task weakly: a finished invocation leaves no task
    # among the loop's (where the next invocation's checkpointer would count it, and make its
    # calls the slower way).
    import gc
    import weakref

    from durable_lambda.core.orphans import OrphanGuard
    from durable_lambda.core.replay_logging import NullLogger

    loop = asyncio.new_event_loop()
    try:
        guard = OrphanGuard(ARN, NullLogger())

        async def invocation() -> None:
            guard.close(asyncio.current_task())

        task = loop.create_task(invocation())
        loop.run_until_complete(task)
        finished = weakref.ref(task)
        del task
        gc.disable()  # freed by reference counting alone, as between two warm invocations
        try:
            assert finished() is None
        finally:
            gc.enable()
    finally:
        loop.close()
