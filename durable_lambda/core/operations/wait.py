"""The wait operation: suspend until a duration has passed, at no compute cost.

A new wait sends START with ``WaitOptions.WaitSeconds`` and suspends; the service completes the
operation at its ``ScheduledEndTimestamp`` and invokes the function again. On replay a SUCCEEDED (or
CANCELLED) wait returns at once and a STARTED one suspends again.

``ctx.create_wait`` starts the same WAIT without suspending and returns a ``WaitHandle``: the
timer runs while the code goes on; ``await handle.wait()`` suspends until it is due (returning at
once if it already is), and ``await handle.cancel()`` sends the service's CANCEL for it while it
runs, after which it replays as done (``CANCELLED``) and ``wait()`` returns at once. Cancelling a
wait that already ended does nothing, on the first run and on replay alike.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

from durable_lambda.core.config import Duration
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    WaitOptions,
)
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor, Proceed, begin

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope
    from durable_lambda.core.runtime import ExecutionRuntime
    from durable_lambda.core.state import OperationIdentity

__all__ = [
    "MAX_WAIT_SECONDS",
    "MIN_WAIT_SECONDS",
    "WAIT",
    "WaitExecutor",
    "WaitHandle",
    "run_create_wait",
    "run_wait",
]

MIN_WAIT_SECONDS = 1
MAX_WAIT_SECONDS = 31_622_400
"""The service accepts waits from 1 second up to 366 days."""

_OVER = (OperationStatus.SUCCEEDED, OperationStatus.CANCELLED)


class WaitExecutor(OperationExecutor[int, None]):
    """The wait on the operation skeleton; its request is the wait's length in seconds."""

    __slots__ = ()

    operation_type = OperationType.WAIT

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: int,
    ) -> Proceed | None:
        """Replay a wait that ended (or was cancelled) as done; suspend on a running one."""
        if record is None:
            return PROCEED
        if record.Status in _OVER:
            return None
        raise scope.runtime.suspension(identity)

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: int,
    ) -> None:
        """Queue the START that asks the service for the timer, and suspend."""
        runtime = scope.runtime
        runtime.checkpointer.enqueue(_wait_update(identity, OperationAction.START, request))
        raise runtime.suspension(identity)


WAIT: Final = WaitExecutor()


def run_wait(
    ctx: OperationScope, duration: Duration, name: str | None
) -> Coroutine[Any, Any, None]:
    """Return the wait of ``duration`` as the next operation of ``ctx``, to await.

    Raises:
        ValidationError: the duration is under 1 second or over 366 days.
    """
    return WAIT.run(ctx, OperationSubType.WAIT, name, _checked_seconds(duration, name))


class WaitHandle:
    """A running wait made by ``ctx.create_wait``: await it, or cancel it.

    It offers no "is it over?" question on purpose: the answer would differ between the first
    run and a replay (which finds the wait already over), and code that branched on it would
    not replay. Code knows whether it cancelled the wait; history shows how it ended.

    Attributes:
        operation_id: The WAIT operation's id.
        name: The wait's name, if it has one.
    """

    __slots__ = ("_cancelled", "_identity", "_runtime")

    def __init__(self, runtime: ExecutionRuntime, identity: OperationIdentity) -> None:
        self._runtime = runtime
        self._identity = identity
        self._cancelled = False

    @property
    def operation_id(self) -> str:
        """The WAIT operation's id."""
        return self._identity.operation_id

    @property
    def name(self) -> str | None:
        """The wait's name, if it has one."""
        return self._identity.name

    async def wait(self) -> None:
        """Return once the wait is due, or at once if it ended (due or cancelled).

        Raises:
            SuspendExecution: the wait is still running: the invocation suspends until it is due
                (internal; never catch it).
        """
        op = self._runtime.state.get(self._identity.operation_id)
        if self._cancelled or (op is not None and op.Status in _OVER):
            return
        raise self._runtime.suspension(self._identity)

    async def cancel(self) -> None:
        """Cancel the wait if it is still running (the service's CANCEL); else do nothing.

        A ``wait()`` after it returns at once, and the wait shows ``CANCELLED`` in history.
        """
        runtime = self._runtime
        op = runtime.state.get(self._identity.operation_id)
        if self._cancelled or (op is not None and op.Status in _OVER):
            return
        if op is None:
            # Its START is still queued: the service refuses a CANCEL in the same call.
            await runtime.checkpointer.flush()
            op = runtime.state.get(self._identity.operation_id)
            if op is not None and op.Status in _OVER:
                return
        self._cancelled = True
        runtime.checkpointer.enqueue(_wait_update(self._identity, OperationAction.CANCEL))
        await runtime.after_first_completion()


async def run_create_wait(ctx: OperationScope, duration: Duration, name: str | None) -> WaitHandle:
    """Start a wait of ``duration`` as the next operation of ``ctx``, without suspending.

    Raises:
        ValidationError: the duration is under 1 second or over 366 days.
    """
    seconds = _checked_seconds(duration, name)
    runtime = ctx.runtime
    identity, record = begin(ctx, OperationType.WAIT, OperationSubType.WAIT, name)
    if record is None:
        runtime.note_new_work()
        runtime.checkpointer.enqueue(_wait_update(identity, OperationAction.START, seconds))
    return WaitHandle(runtime, identity)


def _checked_seconds(duration: Duration, name: str | None) -> int:
    seconds = duration.to_seconds()
    if not MIN_WAIT_SECONDS <= seconds <= MAX_WAIT_SECONDS:
        raise ValidationError(
            f"wait duration must be between {MIN_WAIT_SECONDS} and {MAX_WAIT_SECONDS} seconds, "
            f"got {seconds}",
            field="duration",
            operation_name=name,
        )
    return seconds


def _wait_update(
    identity: OperationIdentity, action: OperationAction, seconds: int | None = None
) -> OperationUpdate:
    return OperationUpdate(
        Id=identity.operation_id,
        ParentId=identity.parent_id,
        Name=identity.name,
        Type=OperationType.WAIT,
        SubType=identity.sub_type,
        Action=action,
        WaitOptions=None if seconds is None else WaitOptions(WaitSeconds=seconds),
    )
