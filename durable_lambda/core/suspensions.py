"""Where this invocation's suspensions went: handled by the SDK, or lost in user code.

An operation that cannot progress in this invocation (a wait not yet due, an unanswered callback,
a retry or a poll scheduled for later, a chained invoke still running) raises
``SuspendExecution``. It travels up through user code to what handles it: the invocation itself
(which ends PENDING), a map or parallel branch (suspended until a later invocation), or a
combinator (the awaitable is pending). Standard asyncio idioms get in the way: a bare
``except:``, ``contextlib.suppress(BaseException)`` or ``asyncio.gather(...,
return_exceptions=True)`` catches it, a task that is never awaited drops it, and the handler
would then return as if the operation had finished.

The ledger holds every suspension an operation raised until the SDK handles it:

* ``absorb``: a branch or a combinator took it (the exception itself, the leaves of a group
  it came in, and everything else its task raised);
* ``caught_in(task)``: code running in ``task`` caught a suspension and went on. A new
  operation there must not start: it would run before the wait it follows had ended;
* ``unhandled()``, when the handler has ended: what nobody handled. The invocation cannot
  succeed then. ``unread(...)`` are those whose task ended with the suspension and nobody
  read it (a task never awaited, or left behind by ``asyncio.wait``): the code abandoned the
  operation. The others were caught by code that went on: the invocation ends PENDING and the
  service invokes the function again when the operation can progress.

``settle_group`` reads an exception group (``asyncio.TaskGroup`` wraps what its tasks raise in
one): a group of nothing but suspensions is a suspension.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from durable_lambda.core.errors import (
    CheckpointError,
    ExecutionError,
    InvocationError,
    ReplayHorizonReached,
    SuspendExecution,
)
from durable_lambda.core.state import OperationIdentity

__all__ = ["Suspension", "SuspensionLedger", "describe", "leaves", "settle_group"]


@dataclass(frozen=True, slots=True)
class Suspension:
    """One suspension an operation raised in this invocation.

    Attributes:
        error: The ``SuspendExecution`` it raised.
        operation: The operation that suspended; None when the SDK raised it for code that
            went on after catching an earlier suspension.
        task: The asyncio task it was raised in.
    """

    error: SuspendExecution
    operation: OperationIdentity | None
    task: asyncio.Task[object] | None

    def describe(self) -> str:
        """Name the operation as a message should: its type, name and id."""
        return describe(self.operation)


def describe(operation: OperationIdentity | None) -> str:
    """Name an operation for a message: ``WAIT 'cool-off' (id 1ced8f5be2db)``."""
    if operation is None:
        return "a durable operation"
    name = f" {operation.name!r}" if operation.name else ""
    return f"{operation.type.value}{name} (id {operation.operation_id[:12]})"


class SuspensionLedger:
    """The suspensions of one invocation that nothing has handled yet (see the module docstring)."""

    __slots__ = ("_open",)

    def __init__(self) -> None:
        # By the exception's id: an exception object is unhashable only if user code made it so,
        # and the record keeps it alive, so the id stays its own while it is here.
        self._open: dict[int, Suspension] = {}

    def __bool__(self) -> bool:
        """Whether any suspension waits to be handled."""
        return bool(self._open)

    def record(
        self, error: SuspendExecution, operation: OperationIdentity | None
    ) -> SuspendExecution:
        """Hold ``error``, raised by ``operation`` in the current task, until it is handled."""
        self._open[id(error)] = Suspension(error, operation, _current_task())
        return error

    def absorb(self, error: BaseException | None, task: asyncio.Task[object] | None = None) -> None:
        """Mark as handled ``error`` (and the suspensions it carries) and all ``task`` raised.

        What it carries: the leaves of an exception group, and those of a group it was raised
        from (``call_user_function`` turns a group of suspensions into one suspension).
        """
        if error is not None:
            for leaf in leaves(error):
                self._open.pop(id(leaf), None)
            cause = error.__cause__
            if isinstance(cause, BaseExceptionGroup):
                for leaf in leaves(cause):
                    self._open.pop(id(leaf), None)
        if task is not None:
            for key in [key for key, held in self._open.items() if held.task is task]:
                del self._open[key]

    def caught_in(self, task: asyncio.Task[object] | None) -> Suspension | None:
        """Return a suspension raised in ``task`` that code there caught, if there is one.

        The task is still running code after raising it, so something in it caught it (an
        ``except:`` or ``contextlib.suppress`` that went on, or a ``finally:`` clause on its way
        up).
        """
        if task is None:
            return None
        for held in self._open.values():
            if held.task is task:
                return held
        return None

    def repeat(self, held: Suspension) -> SuspendExecution:
        """Record and return a new suspension for ``held``'s operation, in the current task.

        ``held`` stays unhandled: something handling the new one (a combinator starting the
        operation that raised it) has not handled the wait it follows.
        """
        return self.record(SuspendExecution(), held.operation)

    def unhandled(self) -> list[Suspension]:
        """Return every suspension nothing has handled, in the order they were raised."""
        return list(self._open.values())

    def unread(self, current: asyncio.Task[object] | None) -> list[Suspension]:
        """Return the unhandled suspensions whose task ended with one that nobody read.

        Such a task was never awaited (``asyncio.create_task`` and forgotten) or was left among
        ``asyncio.wait``'s results: the code abandoned the operation. Reading the task's error
        here stops asyncio from logging it as never retrieved.
        """
        found = []
        for held in self._open.values():
            task = held.task
            if task is None or task is current or not task.done() or task.cancelled():
                continue
            # ``_log_traceback`` is how asyncio itself knows a task's exception was never
            # read (it logs "Task exception was never retrieved" when it is still set at
            # garbage collection). Without it, the suspension counts as read: the invocation
            # then ends PENDING, never wrongly FAILED.
            if getattr(task, "_log_traceback", False):
                task.exception()
                found.append(held)
        return found


def leaves(error: BaseException) -> Iterator[BaseException]:
    """Yield the exceptions in ``error``: itself, or every leaf of a (nested) group."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


# What a group resolves to when it holds more than suspensions, first to last: the process is
# told to stop; Lambda must retry; a checkpoint failed; a replay-only run reached its end; the
# execution cannot go on. Anything else is a failure of the code: the first one raised.
_PRECEDENCE: tuple[type[BaseException], ...] = (
    KeyboardInterrupt,
    InvocationError,
    CheckpointError,
    ReplayHorizonReached,
    ExecutionError,
)


def settle_group(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """Return what an exception group means for the code that receives it.

    A group of nothing but suspensions is one suspension (a new ``SuspendExecution`` raised
    from the group, so ``SuspensionLedger.absorb`` reaches its leaves). Otherwise the group's
    most serious error counts (see ``_PRECEDENCE``), else its first error: one error the
    execution can record and a retry strategy can judge, rather than a group that escapes
    every ``except`` the SDK has.
    """
    real = [leaf for leaf in leaves(group) if not isinstance(leaf, SuspendExecution)]
    if not real:
        suspension = SuspendExecution()
        suspension.__cause__ = group
        return suspension
    for kind in _PRECEDENCE:
        for leaf in real:
            if isinstance(leaf, kind):
                return leaf
    return real[0]


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop: not raised from a task
        return None
