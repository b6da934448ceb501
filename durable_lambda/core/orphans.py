"""Work that outlives the context it belongs to, and the checkpoints it must not make.

When a map or parallel completes early (its completion rule is met), the items still running are
cancelled and the ``BatchResult`` reports them unfinished; a combinator that settled early
(``race``, ``any``, ``all`` on a failure) cancels its losers the same way. Cancellation is a
request: an item that catches it, or cleans up in a ``finally:`` clause, can still call
``ctx.step``, and that step would be recorded under an item the result calls unfinished. The
same goes for a task the handler never awaited that goes on after the handler returned.

``OrphanGuard`` knows which work has lost its context (requirement 2.8 of the seed):

* ``abandon(tasks, context_ids)``: the tasks of cancelled items and losers, and the ids of the
  items' contexts;
* ``close(owner)``: the handler has ended; from then on only ``owner`` (the task ending the
  invocation) checkpoints.

``check(update)`` runs for every update queued once any of that happened (the checkpointer asks
it) and refuses one from such work with ``OrphanedOperationError``, raised in the orphan's own
task: nothing is sent for it. Before that, nothing is checked and nothing is paid.

``running_durable_calls`` finds the tasks that are still inside a durable call of this
invocation when the handler ends (a task created and never awaited, or left behind by
``asyncio.wait``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import Any

from durable_lambda.core.errors import OrphanedOperationError
from durable_lambda.core.model import OperationUpdate
from durable_lambda.core.ports import Logger
from durable_lambda.core.state import OperationIdentity
from durable_lambda.core.suspensions import describe

__all__ = ["OrphanGuard", "running_durable_calls"]

_CORE_PACKAGE = "durable_lambda.core"


class OrphanGuard:
    """Which work may no longer checkpoint (see the module docstring).

    Args:
        execution_arn: The execution, for the errors' messages.
        logger: Where each refused update is reported (a warning).
    """

    __slots__ = ("_contexts", "_execution_arn", "_logger", "_owner", "_tasks", "active")

    def __init__(self, execution_arn: str, logger: Logger) -> None:
        self._execution_arn = execution_arn
        self._logger = logger
        self._tasks: set[asyncio.Task[Any]] = set()
        self._contexts: set[str] = set()
        # Held weakly: the finished task of an invocation is otherwise kept alive (the runtime
        # is in reference cycles) into the next warm invocation, where the checkpointer counts
        # it among the loop's tasks. Once freed, ``_owner()`` is None: every task is refused.
        self._owner: weakref.ref[asyncio.Task[Any]] | None = None
        self.active = False
        """Whether anything has been abandoned or closed (until then ``check`` is not asked)."""

    def abandon(self, tasks: Iterable[asyncio.Task[Any]], context_ids: Iterable[str] = ()) -> None:
        """Refuse from now on what ``tasks`` checkpoint, and what is parented on ``context_ids``."""
        self._tasks.update(tasks)
        self._contexts.update(context_ids)
        self.active = True

    def close(self, owner: asyncio.Task[Any] | None) -> None:
        """Refuse every update but those ``owner`` makes: the handler has ended."""
        self._owner = None if owner is None else weakref.ref(owner)
        self.active = True

    def check(self, update: OperationUpdate) -> None:
        """Refuse ``update`` if it comes from work whose context has completed.

        Raises:
            OrphanedOperationError: it does; nothing is sent for it.
        """
        task = _current_task()
        if task is not None and task in self._tasks:
            reason = (
                "it runs in a map or parallel item, or a race or any awaitable, that was "
                "cancelled when the batch or combinator completed (reported unfinished)"
            )
        elif update.ParentId is not None and update.ParentId in self._contexts:
            reason = "its parent context had completed (a cancelled, unfinished item)"
        elif self._owner is not None and task is not self._owner():
            reason = "the handler had already returned (a task it never awaited)"
        else:
            return
        identity = OperationIdentity(
            update.Id, update.Type, update.SubType, update.Name, update.ParentId
        )
        message = f"{update.Action.value} of {describe(identity)} was not checkpointed: {reason}"
        self._logger.warning(
            "checkpoint refused: its context has completed",
            operation_id=update.Id,
            operation_name=update.Name,
            action=update.Action.value,
        )
        raise OrphanedOperationError(
            message,
            execution_arn=self._execution_arn,
            operation_id=update.Id,
            operation_name=update.Name,
        )


def running_durable_calls(
    runtime: object, exclude: asyncio.Task[Any] | None
) -> list[tuple[asyncio.Task[Any], str]]:
    """Return the tasks (but ``exclude``) inside a durable call of ``runtime``, and the call.

    A task is inside one when a coroutine it awaits is the SDK's own code working for this
    invocation (a frame of ``durable_lambda.core`` holding the runtime or a context of it).
    """
    found = []
    for task in asyncio.all_tasks():
        if task is exclude or task.done():
            continue
        call = _durable_call(task, runtime)
        if call is not None:
            found.append((task, call))
    return found


def _durable_call(task: asyncio.Task[Any], runtime: object) -> str | None:
    """Describe the innermost durable call of ``runtime`` that ``task`` is in, if any."""
    call = None
    for frame in _awaited_frames(task):
        if not frame.f_globals.get("__name__", "").startswith(_CORE_PACKAGE):
            continue
        local = frame.f_locals
        if not any(
            value is runtime or getattr(value, "runtime", None) is runtime
            for value in local.values()
        ):
            continue
        identity = local.get("identity")
        if isinstance(identity, OperationIdentity):
            call = describe(identity)
        elif call is None:
            name = local.get("name")
            call = f"ctx.{frame.f_code.co_name}" + (f" {name!r}" if isinstance(name, str) else "")
    return call


def _awaited_frames(task: asyncio.Task[Any]) -> Iterator[FrameType]:
    """Yield the frames of the coroutines ``task`` is awaiting, outermost first."""
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            yield frame
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop
        return None
