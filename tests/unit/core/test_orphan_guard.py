"""``OrphanGuard``: which work may no longer checkpoint, and finding durable calls left running.

The end-to-end cases (a map item cancelled when its map completed early, a race loser, a task the
handler never awaited) are in ``tests/reliability/test_asyncio_idioms.py``; this holds the rules.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from durable_lambda.adapters.logging.capturing import CapturingLogger
from durable_lambda.core.errors import OrphanedOperationError
from durable_lambda.core.model import OperationAction, OperationType, OperationUpdate
from durable_lambda.core.orphans import OrphanGuard, running_durable_calls
from durable_lambda.core.state import OperationIdentity

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"
ITEM = "b" * 64


def update(parent: str | None = None, name: str = "cleanup") -> OperationUpdate:
    return OperationUpdate(
        Id="c" * 64,
        ParentId=parent,
        Name=name,
        Type=OperationType.STEP,
        SubType="Step",
        Action=OperationAction.START,
    )


def guard() -> tuple[OrphanGuard, CapturingLogger]:
    logger = CapturingLogger()
    return OrphanGuard(ARN, logger), logger


async def test_nothing_is_refused_until_something_was_abandoned_or_closed() -> None:
    orphans, _ = guard()
    assert not orphans.active
    orphans.check(update(parent=ITEM))


async def test_an_update_from_an_abandoned_task_is_refused_naming_it() -> None:
    orphans, logger = guard()
    refused: list[BaseException] = []

    async def cancelled_item() -> None:
        try:
            orphans.check(update())
        except OrphanedOperationError as error:
            refused.append(error)

    task = asyncio.ensure_future(cancelled_item())
    orphans.abandon([task])
    await task
    orphans.check(update())  # this task was not abandoned
    (error,) = refused
    assert "START of STEP 'cleanup'" in str(error)
    assert "cancelled" in str(error)
    assert isinstance(error, OrphanedOperationError)
    assert (error.execution_arn, error.operation_name) == (ARN, "cleanup")
    assert logger.events("warning") == ["checkpoint refused: its context has completed"]


async def test_an_update_parented_on_a_completed_context_is_refused_from_any_task() -> None:
    orphans, _ = guard()
    orphans.abandon([], [ITEM])
    with pytest.raises(OrphanedOperationError, match="parent context had completed"):
        orphans.check(update(parent=ITEM))
    orphans.check(update(parent="d" * 64))


async def test_once_closed_only_the_owner_checkpoints() -> None:
    orphans, _ = guard()
    orphans.close(asyncio.current_task())
    orphans.check(update())  # the task ending the invocation

    async def stray() -> None:
        orphans.check(update())

    with pytest.raises(OrphanedOperationError, match="handler had already returned"):
        await asyncio.ensure_future(stray())


class _Runtime:
    """Stands for an ExecutionRuntime: the guard only compares it by identity."""


async def test_running_durable_calls_finds_a_task_inside_a_call_of_this_runtime_only() -> None:
    ours, theirs = _Runtime(), _Runtime()
    release = asyncio.Event()
    # A frame of the core holding the runtime: what the SDK's own coroutines look like.
    namespace: dict[str, Any] = {
        "__name__": "durable_lambda.core.operations.fake",
        "asyncio": asyncio,
    }
    exec(
        "async def in_a_step(runtime, release, identity):\n    await release.wait()\n",
        namespace,
    )
    identity = OperationIdentity("e" * 64, OperationType.STEP, "Step", "slow", None)

    async def user_code(runtime: _Runtime) -> None:
        await namespace["in_a_step"](runtime, release, identity)

    mine = asyncio.ensure_future(user_code(ours))
    other = asyncio.ensure_future(user_code(theirs))
    idle = asyncio.ensure_future(release.wait())
    await asyncio.sleep(0)
    try:
        found = running_durable_calls(ours, exclude=asyncio.current_task())
        assert found == [(mine, "STEP 'slow' (id eeeeeeeeeeee)")]
    finally:
        release.set()
        await asyncio.gather(mine, other, idle)
