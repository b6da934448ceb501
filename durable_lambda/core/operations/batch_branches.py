"""The branches of one map or parallel: each a child CONTEXT, checkpointed like a child context.

Branch ``i`` of the batch whose CONTEXT id is ``parent`` has the id ``operation_id(parent, i)``
(the official SDK's derivation, from the 0-based index), so its id never depends on which branch
started or finished first. Every identity is made before any branch runs.

One branch, by what its checkpoint holds:

* none: START is checkpointed when the scheduler admits it; the body runs; SUCCEED with the
  result (or, when too large, an empty payload and ``ReplayChildren``) or FAIL with the error.
* STARTED: the body runs again over its own children's checkpoints.
* SUCCEEDED: the stored result is read back, nothing runs (with ``ReplayChildren``, the body
  runs again over its children's checkpoints to rebuild the result; nothing is checkpointed).
* FAILED: the stored error is the outcome, nothing runs.

A body that raises ``SuspendExecution`` (it waits on time or the outside world) is suspended for
this invocation; errors that end the invocation propagate, and so does ``OrphanedOperationError``
(the batch completed and cancelled this branch: nothing of it may be checkpointed any more); any
other error is the branch's failure. What else a body raises is read as ``call_user_function``
reads it (``user_code_error``): an ``asyncio.TaskGroup`` of suspensions is a suspension, and a
``BaseException`` the body raises itself (not its task's cancellation) is a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.errors import (
    CheckpointError,
    ExecutionError,
    InvocationError,
    OrphanedOperationError,
    SuspendExecution,
    error_object_from_exception,
)
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    ContextOptions,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.operations.child import virtual_context_mismatch
from durable_lambda.core.operations.concurrency import BranchOutcome, BranchState
from durable_lambda.core.operations.updates import context_update, replays_children
from durable_lambda.core.ports import SerDes
from durable_lambda.core.runtime import user_code_error
from durable_lambda.core.serdes import payload_size, read_value, write_optional
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["BatchBranches", "context_update", "replays_children"]

# Errors that end the invocation or the execution, or refuse an orphan: never a branch's failure.
_PROPAGATED = (ExecutionError, InvocationError, CheckpointError, OrphanedOperationError)

BranchBody = Callable[[Any, int], Awaitable[Any]]
"""Runs branch ``index`` with its own context and returns its result."""


class BatchBranches:
    """Runs the branches of one batch (see the module docstring).

    Args:
        batch_context: The context of the batch's CONTEXT operation.
        sub_type: The branches' subtype (``MapIteration`` or ``ParallelBranch``).
        names: Each branch's name, by index.
        body: Runs one branch.
        serdes: Stores each branch's result.
    """

    def __init__(
        self,
        batch_context: OperationScope,
        sub_type: str,
        names: Sequence[str],
        body: BranchBody,
        serdes: SerDes[Any],
        *,
        virtual: bool = False,
    ) -> None:
        self.context = batch_context
        self.runtime = batch_context.runtime
        self.body = body
        self.serdes = serdes
        self.virtual = virtual
        parent_id = batch_context.parent_id
        self.identities = [
            OperationIdentity(
                operation_id(parent_id, index), OperationType.CONTEXT, sub_type, name, parent_id
            )
            for index, name in enumerate(names)
        ]

    def __len__(self) -> int:
        return len(self.identities)

    def start(self, index: int) -> Coroutine[Any, Any, BranchOutcome]:
        """Checkpoint branch ``index``'s START if it is new; return the coroutine that runs it.

        Raises:
            NonDeterministicExecutionError: a different operation was checkpointed at its id.
        """
        identity = self.identities[index]
        op = self.runtime.state.checked(identity)
        if self.virtual:
            # FLAT nesting: the branch checkpoints nothing itself and re-runs on every replay.
            if op is not None:
                raise virtual_context_mismatch(self.context, identity)
            return self.run(index, None)
        if op is None:
            self.runtime.note_new_work()
            self.runtime.checkpointer.enqueue(context_update(identity, OperationAction.START))
        return self.run(index, op)

    def checkpoint(self, index: int) -> Operation | None:
        """Return branch ``index``'s checkpoint, checked to be that branch's.

        Raises:
            NonDeterministicExecutionError: a different operation was checkpointed at its id.
        """
        return self.runtime.state.checked(self.identities[index])

    async def run(self, index: int, op: Operation | None) -> BranchOutcome:
        """Run, or replay, branch ``index`` whose checkpoint is ``op``."""
        identity = self.identities[index]
        rebuilding = False
        if op is not None and op.Status is OperationStatus.FAILED:
            return BranchOutcome(index, BranchState.FAILED, error=op.error)
        if op is not None and op.Status is OperationStatus.SUCCEEDED:
            if not replays_children(op):
                result = self.runtime.read(self.serdes, op.result_payload, identity.operation_id)
                return BranchOutcome(index, BranchState.SUCCEEDED, result)
            rebuilding = True
        try:
            branch_context = self.context.child_context(identity.operation_id, virtual=self.virtual)
            raw = await self.body(branch_context, index)
        except SuspendExecution as suspension:
            # The batch handles it: this branch waits for a later invocation. So does every
            # other suspension this branch's task raised (a finally: clause on the way up).
            self.runtime.absorb(suspension, asyncio.current_task())
            return BranchOutcome(index, BranchState.SUSPENDED)
        except _PROPAGATED:
            raise
        except Exception as error:
            return await self._fail(index, error)
        except BaseException as error:  # an async map body is not run by call_user_function
            settled = user_code_error(error)
            if settled is error:
                raise
            if isinstance(settled, SuspendExecution):
                self.runtime.absorb(settled, asyncio.current_task())
                return BranchOutcome(index, BranchState.SUSPENDED)
            if isinstance(settled, _PROPAGATED) or not isinstance(settled, Exception):
                raise settled from error
            return await self._fail(index, settled)
        if rebuilding:
            return BranchOutcome(index, BranchState.SUCCEEDED, raw)
        result = self._succeed(index, raw)
        if (
            not self.virtual
            and self.runtime.note_first_completion()
            and self.runtime.checkpointer.mode is CheckpointMode.EAGER
        ):
            # EAGER: the SUCCEED is acknowledged before the branch is done. Otherwise settling
            # would only yield once for a full call's sender, and the branch hands the event
            # loop back as it ends anyway: its task finishes, or (an eager start) the scheduler
            # gives way for a full call before it starts the next branch.
            await self.runtime.checkpointer.settle()
        return BranchOutcome(index, BranchState.SUCCEEDED, result)

    async def _fail(self, index: int, error: Exception) -> BranchOutcome:
        error_object = error_object_from_exception(error)
        if self.virtual:
            return BranchOutcome(index, BranchState.FAILED, error=error_object)
        update = context_update(self.identities[index], OperationAction.FAIL, error=error_object)
        self.runtime.checkpointer.enqueue(update)
        await self.runtime.after_first_completion()
        return BranchOutcome(index, BranchState.FAILED, error=error_object)

    def _succeed(self, index: int, raw: Any) -> Any:
        """Checkpoint branch ``index``'s success (the caller settles); return its result.

        Not a coroutine: it awaits nothing, and a coroutine per map item costs.
        """
        identity = self.identities[index]
        where = identity.operation_id, self.runtime.execution_arn
        # No payload (None) for a None under PassThroughSerDes, as the official SDK: read as None.
        payload, same = write_optional(self.serdes, raw, *where)
        if self.virtual:
            return raw if same or payload is None else read_value(self.serdes, payload, *where)
        if (
            payload is not None
            and payload_size(payload) > self.runtime.options.max_operation_payload_bytes
        ):
            # As the official SDK stores a too-large branch result: no summary, children replayed.
            options = ContextOptions(ReplayChildren=True)
            update = context_update(identity, OperationAction.SUCCEED, "", context_options=options)
            result = raw
        else:
            update = context_update(identity, OperationAction.SUCCEED, payload)
            # Hand back what replay will read, so the first run and every replay agree.
            result = raw if same or payload is None else read_value(self.serdes, payload, *where)
        self.runtime.checkpointer.enqueue(update)
        return result
