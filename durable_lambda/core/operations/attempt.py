"""One step attempt under the limits the SDK enforces: the step's time-out and the deadline.

``run_attempt`` runs a step's body as ``call_user_function`` does, under the step's own time-out
(``StepConfig.timeout``, an ``asyncio.timeout``) and the invocation's deadline
(``durable_lambda.core.deadline``, one timer that watches every attempt). When either expires:

* an ``async def`` body is cancelled (``asyncio.CancelledError`` at its current ``await``);
* a plain-function body cannot be interrupted: Python has no way to stop a thread. Its worker
  thread is *abandoned*: the attempt fails at once, the body's result (whenever it comes) is
  dropped, and ``StepContext.stop_requested`` turns True so that a body that looks at it can
  stop. After a deadline the invocation then returns and Lambda freezes the sandbox with the
  thread inside; the thread goes on where it stopped when the sandbox is thawed for a later
  invocation. So that two attempts of one step never run at once in one process, the step's next
  attempt waits for an abandoned thread of the same step to end before its body starts (that
  wait counts against the new attempt's limits). A later invocation that lands on another
  sandbox cannot see the thread: plain-function bodies that may be abandoned must be idempotent
  (as any step body must be under at-least-once semantics).

The attempt then fails with ``StepTimeoutError`` or ``StepDeadlineError``, which the caller
records like any failure of the body: the retry strategy decides.

A plain body marked ``non_blocking`` (``core/non_blocking.py``) runs on the event loop's own
thread: it can be neither interrupted nor abandoned, and no timer fires while it runs. The
limits are applied when it returns:

* past the step's time-out, the attempt fails with ``StepTimeoutError`` all the same and its
  result is dropped, as a thread abandoned at the time-out has its result dropped: marking a
  body changes where it runs, not which attempts count as failed;
* past the deadline margin, its result is kept (the body finished, and recording it costs one
  checkpoint, while failing it would run its side effects again); the invocation then ends at
  its next step, as the deadline ends it whenever it passes between two steps.

If an awaitable it returned is still running when a limit expires, that is cancelled as an
``async def`` body would be.

``defer_step`` is what a step reached after the deadline does instead of starting its body.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from durable_lambda.core.attempt_errors import StepDeadlineError, StepTimeoutError
from durable_lambda.core.model import Operation, OperationAction, OperationStatus
from durable_lambda.core.non_blocking import is_non_blocking
from durable_lambda.core.operations.updates import attempts_made, retry_update, step_update
from durable_lambda.core.runtime import _is_async_callable, call_user_function
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.step_context import StepContext
    from durable_lambda.core.runtime import ExecutionRuntime

__all__ = [
    "DEFERRAL_DELAY_SECONDS",
    "attempt_number",
    "deadline_passed",
    "defer_step",
    "run_attempt",
]

DEFERRAL_DELAY_SECONDS = 1
"""When a step deferred at the deadline is due again: the service's shortest retry delay."""

# Worker threads of plain-function bodies abandoned at a limit and still running, by execution
# ARN and operation id: the step's next attempt in this process waits for its thread to end. A
# process-wide registry, since the sandbox (and its event loop) outlives the invocation.
_abandoned: dict[tuple[str, str], asyncio.Future[None]] = {}


def deadline_passed(runtime: ExecutionRuntime) -> bool:
    """Whether the invocation has reached its deadline margin (False without a deadline)."""
    deadline = runtime.deadline
    return deadline is not None and deadline.passed(asyncio.get_running_loop().time())


def attempt_number(op: Operation | None) -> int:
    """Return the 1-based number of the attempt a step checkpointed as ``op`` is about to make.

    One more than the attempts the service counted, except after a deferral: a RETRY without an
    error (a step's failed attempt always records one) deferred the step at a deadline before its
    body ran, and made no attempt.
    """
    made = attempts_made(op)
    if (
        made > 0
        and op is not None
        and op.Status is OperationStatus.READY
        and op.StepDetails is not None
        and op.StepDetails.Error is None
        and op.StepDetails.Result is None
    ):
        return made
    return made + 1


async def defer_step(
    runtime: ExecutionRuntime, identity: OperationIdentity, op: Operation | None
) -> NoReturn:
    """Suspend at a step reached after the deadline, without starting its body.

    The first step of the invocation deferred this way is checkpointed: START (if new) and a
    RETRY without an error, due in ``DEFERRAL_DELAY_SECONDS``. That keeps a timer pending, so
    the service invokes the function again even when nothing else is (the service refuses a
    PENDING invocation that waits on nothing). Its retry strategy is not consulted and the
    attempt is not counted (``attempt_number``). Later ones only suspend: the replay reaches
    them again.

    Raises:
        SuspendExecution: always.
    """
    deadline = runtime.deadline
    assert deadline is not None  # only called once the deadline passed
    report_deadline(runtime)
    if not deadline.deferral_sent:
        deadline.deferral_sent = True
        if op is None:
            runtime.checkpointer.enqueue(step_update(identity, OperationAction.START))
        runtime.checkpointer.enqueue(retry_update(identity, DEFERRAL_DELAY_SECONDS))
    raise runtime.suspension(identity)


def report_deadline(runtime: ExecutionRuntime) -> None:
    """Log, once per invocation, that it reached its deadline margin."""
    deadline = runtime.deadline
    if deadline is None or deadline.reported:
        return
    deadline.reported = True
    runtime.logger.warning(
        "the invocation reached its deadline margin: step attempts stop and it ends PENDING",
        margin_seconds=round(deadline.margin_seconds, 3),
    )


async def run_attempt(
    runtime: ExecutionRuntime,
    fn: Callable[[StepContext], Any],
    step_context: StepContext,
    identity: OperationIdentity,
    timeout_seconds: float | None,
) -> Any:
    """Run one attempt of a step's body under its time-out and the deadline (module docstring).

    Returns:
        What the body returned.

    Raises:
        StepTimeoutError: the attempt outran ``timeout_seconds``.
        StepDeadlineError: the invocation reached its deadline margin during the attempt.
        Exception: what the body raised (as ``call_user_function`` passes it on).
    """
    loop = asyncio.get_running_loop()
    key = (runtime.execution_arn, identity.operation_id)
    previous = _still_running(key, loop) if _abandoned else None
    deadline = runtime.deadline
    if timeout_seconds is None and deadline is None and previous is None:
        return await call_user_function(fn, step_context)
    task = asyncio.current_task()
    assert task is not None  # an attempt runs in a task
    plain = not _is_async_callable(fn)
    inline = plain and is_non_blocking(fn)  # on the loop's thread: it cannot be abandoned
    threaded = plain and not inline
    thread: _ThreadWatch | None = None  # set once a worker thread runs the body
    late = False  # an inline body returned after its time-out expired
    scope = asyncio.timeout(timeout_seconds) if timeout_seconds is not None else None
    if deadline is not None:
        deadline.watch(task, loop)
    try:
        async with scope if scope is not None else contextlib.nullcontext():
            if previous is not None:
                # An earlier attempt's thread of this step is still running here: never two
                # attempts of one step at once in one process.
                await asyncio.shield(previous)
            if threaded:
                thread = _ThreadWatch(fn)
                return await call_user_function(thread.run, step_context)
            result = await call_user_function(fn, step_context)
            # No timer fires while an inline body holds the loop: read the time-out's clock.
            when = scope.when() if scope is not None and inline else None
            if when is None or loop.time() < when:
                return result
        # Here only when an inline body returned after its time-out expired.
        by_deadline, late = False, True
    except TimeoutError:
        if scope is None or not scope.expired():
            raise  # the body's own TimeoutError: a failure like any other
        by_deadline = False
    except asyncio.CancelledError:
        if deadline is None or not deadline.cut_short(task):
            raise  # cancelled from outside (a batch that completed, a race decided)
        by_deadline = True
    finally:
        if deadline is not None and deadline.release(task):
            # The deadline's cancellation ends here, whether the body let it through or
            # swallowed it: the task is not being cancelled any more.
            task.uncancel()
    step_context.request_stop()
    finished = thread.abandon(loop) if thread is not None else None
    abandoned = finished is not None
    if finished is not None:
        _abandon(key, finished)
    if abandoned:
        thread_note = (
            "; its plain-function body keeps running in its worker thread, abandoned, its result "
            "dropped"
        )
    elif late:
        thread_note = (
            "; its non_blocking body ran on the event loop's thread, which no time-out can "
            "interrupt, and its result was dropped"
        )
    else:
        thread_note = ""
    where = {
        "execution_arn": runtime.execution_arn,
        "operation_id": identity.operation_id,
        "operation_name": identity.name,
    }
    if by_deadline:
        assert deadline is not None
        report_deadline(runtime)
        raise StepDeadlineError(
            f"the invocation reached its deadline margin ({deadline.margin_seconds:.3g} s before "
            f"Lambda's time-out) while the step attempt was running{thread_note}",
            margin_seconds=deadline.margin_seconds,
            **where,
        )
    assert timeout_seconds is not None
    raise StepTimeoutError(
        f"the step attempt ran longer than its timeout of {timeout_seconds:g} s{thread_note}",
        timeout_seconds=timeout_seconds,
        **where,
    )


class _ThreadWatch:
    """Runs a plain-function body in its worker thread and tells, once asked, when it ends.

    Nothing crosses threads while the attempt runs normally (a resolved future per body would
    wake the event loop from the thread every time); only an abandoned body gets a future,
    resolved from its thread when it ends.
    """

    __slots__ = ("_done", "_fn", "_future", "_lock", "_loop")

    def __init__(self, fn: Callable[[StepContext], Any]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._done = False
        self._future: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, step_context: StepContext) -> Any:
        """Run the body (in the worker thread)."""
        try:
            return self._fn(step_context)
        finally:
            with self._lock:
                self._done = True
                future, loop = self._future, self._loop
            if future is not None and loop is not None:
                # A loop closed meanwhile (RuntimeError) has nobody waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_resolve, future)

    def abandon(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None] | None:
        """Return a future resolved when the thread ends; None if it has already ended."""
        with self._lock:
            if self._done:
                return None
            self._loop = loop
            self._future = loop.create_future()
            return self._future


def _resolve(finished: asyncio.Future[None]) -> None:
    if not finished.done():
        finished.set_result(None)


def _abandon(key: tuple[str, str], finished: asyncio.Future[None]) -> None:
    """Remember an abandoned thread until it ends."""
    _abandoned[key] = finished

    def forget(done: asyncio.Future[None]) -> None:
        if _abandoned.get(key) is done:
            del _abandoned[key]

    finished.add_done_callback(forget)


def _still_running(
    key: tuple[str, str], loop: asyncio.AbstractEventLoop
) -> asyncio.Future[None] | None:
    """Return the abandoned thread of this step still running on ``loop``, if any."""
    previous = _abandoned.get(key)
    if previous is None:
        return None
    if previous.done() or previous.get_loop() is not loop or loop.is_closed():
        # A thread left behind by another event loop (another test, a loop that was
        # replaced) cannot be awaited from this one: it is not this sandbox's to wait for.
        if previous.get_loop() is not loop:
            _abandoned.pop(key, None)
        return None
    return previous
