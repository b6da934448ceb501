"""The asyncio plumbing of the combinators: start awaitables in order, classify how they ended.

A combinator runs each awaitable up to its first ``await`` right away, in list order, then lets
an asyncio task finish it (``start_task``), so the awaitables take their operation ids in list
order. Awaitables that will never run are closed (``discard``) so Python does not warn about
them; unfinished tasks are cancelled and awaited (``cancel_all``); a finished task's outcome is
read as a value, an error, a suspension or a cancellation (``outcome_of``), and errors that end
the invocation or the execution are raised rather than settled.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from durable_lambda.core.errors import (
    BaseExceptionRaisedError,
    CheckpointError,
    ExecutionError,
    InvocationError,
    OrphanedOperationError,
    ReplayHorizonReached,
    SuspendExecution,
    ValidationError,
)
from durable_lambda.core.suspensions import settle_group

__all__ = ["Outcome", "cancel_all", "check_unstarted", "discard", "outcome_of", "start_task"]

# Errors that end the invocation or the execution, never a branch's settled failure.
_FATAL = (ExecutionError, InvocationError, CheckpointError)
# What an awaitable's task may end with that is raised, not settled: those errors, and the
# signals that end the invocation or the process.
_RAISED = (*_FATAL, ReplayHorizonReached, KeyboardInterrupt, GeneratorExit)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one awaitable ended in this invocation.

    Attributes:
        value: What it returned.
        error: What it raised, when it failed.
        suspended: It cannot progress in this invocation (it raised ``SuspendExecution``).
        cancelled: Its task was cancelled before it finished.
    """

    value: Any = None
    error: Exception | None = None
    suspended: bool = False
    cancelled: bool = False

    @property
    def code(self) -> str:
        """One letter for the record: ``P`` pending, ``C`` cancelled, ``F`` failed, ``S``."""
        if self.suspended:
            return "P"
        if self.cancelled:
            return "C"
        return "F" if self.error is not None else "S"

    def unwrap(self) -> Any:
        """Return the value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value


def start_task(
    item: Awaitable[Any], absorb: Callable[[BaseException], None] | None = None
) -> asyncio.Task[Any]:
    """Run a coroutine's first step now and return the task that finishes it.

    Running every awaitable up to its first ``await`` before anything else runs is what makes
    each take its operation ids in list order, including combinators nested in combinators
    (which start their own awaitables in their first step). The step runs in a copy of the
    current context, which the task then keeps. Other awaitables (futures, tasks) took their
    ids when they were created.

    What the first step raises is handed to ``absorb`` (the runtime's): the combinator handles
    a suspension raised there, although it was raised in the caller's task.
    """
    loop = asyncio.get_running_loop()
    if not inspect.iscoroutine(item):
        return loop.create_task(_awaiting(item))
    context = contextvars.copy_context()
    try:
        first = context.run(item.send, None)
    except StopIteration as stop:
        return loop.create_task(_finished(stop.value, None), context=context)
    except BaseException as error:  # SuspendExecution included: the task re-raises it
        if absorb is not None:
            absorb(error)
        return loop.create_task(_finished(None, error), context=context)
    return loop.create_task(_finishing(item, first), context=context)


async def _finishing(coro: Coroutine[Any, Any, Any], first: Any) -> Any:
    return await _resume(coro, first)


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], first: Any) -> Generator[Any, Any, Any]:
    """Drive the rest of a coroutine whose first step already ran, as ``yield from`` would."""
    value = first
    while True:
        try:
            sent = yield value
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as error:  # thrown in by the task: cancellation
            try:
                value = coro.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                value = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _awaiting(item: Awaitable[Any]) -> Any:
    return await item


async def _finished(value: Any, error: BaseException | None) -> Any:
    if error is not None:
        raise error
    return value


def check_unstarted(items: Sequence[Awaitable[Any]]) -> None:
    """Refuse a coroutine that already started or appears twice: it cannot start in order.

    Raises:
        ValidationError: one of ``items`` was started, or is given twice.
    """
    seen: set[int] = set()
    for item in items:
        if inspect.iscoroutine(item) and (
            inspect.getcoroutinestate(item) != inspect.CORO_CREATED or id(item) in seen
        ):
            raise ValidationError(
                "pass each durable call unawaited and only once, e.g. "
                "ctx.race([ctx.step(a), ctx.wait(d)])",
                field="awaitables",
            )
        seen.add(id(item))


def discard(items: Sequence[Any]) -> None:
    """Let go of awaitables that will never be awaited, without warnings or stray work.

    A coroutine that was never started is closed, and so are the unstarted coroutines it was
    given as arguments, alone or in a list (``labelled(ctx.wait(...))``, ``ctx.all([...])``):
    they would never run either, and Python warns about every coroutine collected unawaited.
    """
    for item in items:
        if isinstance(item, list | tuple):
            discard(item)
        elif inspect.iscoroutine(item):
            frame = item.cr_frame
            if frame is not None and inspect.getcoroutinestate(item) == inspect.CORO_CREATED:
                discard(list(frame.f_locals.values()))
            item.close()
        elif isinstance(item, asyncio.Future):
            item.cancel()


def outcome_of(
    task: asyncio.Task[Any],
    absorb: Callable[[BaseException, asyncio.Task[Any]], None] | None = None,
) -> Outcome:
    """Classify a finished task; errors that end the invocation are raised, not settled.

    A suspension (or an ``asyncio.TaskGroup`` of nothing but suspensions) is handed to
    ``absorb`` with the task: the combinator handles it. A loser whose checkpoint was refused
    once it was cancelled (``OrphanedOperationError``) counts as cancelled; a ``BaseException``
    the awaitable raised itself counts as its failure (``BaseExceptionRaisedError``).

    Raises:
        BaseException: the task's error, when it ends the invocation or the execution.
    """
    if task.cancelled():
        return Outcome(cancelled=True)
    raised = task.exception()
    if raised is None:
        return Outcome(value=task.result())
    error = settle_group(raised) if isinstance(raised, BaseExceptionGroup) else raised
    if isinstance(error, SuspendExecution):
        if absorb is not None:
            absorb(error, task)
        return Outcome(suspended=True)
    if isinstance(error, OrphanedOperationError):
        return Outcome(cancelled=True)
    if isinstance(error, _RAISED):
        raise error
    if not isinstance(error, Exception):
        failure = BaseExceptionRaisedError(error)
        failure.__cause__ = error
        return Outcome(error=failure)
    return Outcome(error=error)


async def cancel_all(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel the unfinished tasks and wait until they are finished."""
    unfinished = [task for task in tasks if not task.done()]
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    for task in tasks:  # mark every error as seen: asyncio would log unread ones
        if not task.cancelled():
            task.exception()
