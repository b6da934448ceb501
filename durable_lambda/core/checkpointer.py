"""Sends checkpoint updates to the service: in execution order, many to a call, rotating the token.

Updates are queued in the order operations produce them and sent by a single sender task, so the
service always sees them in execution order and every call uses the token the previous one returned
(the first call uses the token from the invocation input). One call carries at most 250 updates
and 750 KiB of update JSON, the service's limits. (A "batch" in this code base is a map or a
parallel; what one checkpoint call carries is a call's updates.)

When a call is made, and what an operation waits for, depends on the checkpoint mode:

* ``BATCHED`` (the default): before any later side effect starts (a step body, a
  ``wait_for_condition`` check, a callback's submitter, the handler's return), every outcome
  queued before it is acknowledged by the service (``before_side_effect``). Updates queued by
  then travel in the same call (step k's SUCCEED with step k+1's START), and concurrent branches
  waiting at the same moment share one call. Between side effects the sender works in the
  background, lingering a few milliseconds so that neighbouring updates share a call.
* ``EAGER``: every update is acknowledged before the code goes on: a step's START (and the START
  of every context around it) before its body runs, and its outcome before ``await ctx.step``
  returns.
* ``OPTIMISTIC``: nothing is sent until something forces a flush: suspension, the end of the
  invocation, a full call's worth of updates, or an at-most-once step about to run its body. A
  crash loses the outcomes not yet sent, and their steps run again.

Operations the service itself acts on (an invoke's START, a callback's START) are sent blocking in
every mode; because the service applies updates in order, anything they set off happens after
every outcome queued before them.

While a call is made, ``call_is_all_that_runs()`` tells the service whether the event loop has
nothing else to do until the call returns: every task of the loop but the sender is waiting for
this checkpointer. A service whose calls block (the boto3 adapter) then makes the call on the
loop's own thread instead of handing it to another thread and back, which costs more than the
rest of a step; blocking the loop then holds up nothing that could have run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextvars import ContextVar

from durable_lambda.core._internals import live_task_count
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import OperationAction, OperationUpdate
from durable_lambda.core.paging import follow_pages
from durable_lambda.core.ports import DurableService
from durable_lambda.core.state import DurableState
from durable_lambda.core.update_size import estimated_size

__all__ = ["MAX_CALL_BYTES", "MAX_CALL_UPDATES", "Checkpointer", "call_is_all_that_runs"]

MAX_CALL_UPDATES = 250
"""The service accepts at most this many updates in one checkpoint call."""

MAX_CALL_BYTES = 750 * 1024
"""Update JSON sent in one checkpoint call stays under this many bytes."""

CALL_LINGER_SECONDS = 0.005
"""How long the BATCHED sender waits for more updates before a call nobody is waiting on."""

# How many tasks beyond the waiting ones ``_everyone_waits`` counts exactly before giving up.
_EXACT_COUNT_UP_TO = 16

_START = OperationAction.START

# Set in the sender's task while a call is made on which every other task waits.
_ALL_THAT_RUNS: ContextVar[bool] = ContextVar("durable_lambda_call_is_all_that_runs", default=False)


def call_is_all_that_runs() -> bool:
    """Whether the checkpoint call being made in this task is all the event loop has to do.

    True while a ``Checkpointer`` makes a call (``DurableService.checkpoint``, and the state
    pages its answer points to) and every other task of the loop is waiting for that
    checkpointer: nothing can run before the call returns, so a service may block the loop's
    thread for it (see the module docstring). False anywhere else.
    """
    return _ALL_THAT_RUNS.get()


class Checkpointer:
    """The queue of updates not yet acknowledged by the service, and the task that sends them.

    Args:
        service: The checkpoint storage port.
        state: The execution state; operations in each response are applied to it.
        checkpoint_token: The token from the invocation input.
        mode: When to send (see the module docstring).
    """

    def __init__(
        self,
        service: DurableService,
        state: DurableState,
        checkpoint_token: str,
        mode: CheckpointMode = CheckpointMode.BATCHED,
        *,
        max_call_updates: int = MAX_CALL_UPDATES,
        max_call_bytes: int = MAX_CALL_BYTES,
        linger_seconds: float = CALL_LINGER_SECONDS,
    ) -> None:
        self._service = service
        self._state = state
        self.token = checkpoint_token
        self.mode = mode
        self._max_updates = max_call_updates
        self._max_bytes = max_call_bytes
        self._linger = linger_seconds
        self._flush_requested = asyncio.Event()
        self._queue: list[OperationUpdate] = []
        self._sizes: list[int] = []  # estimated_size() of each queued update
        self._queued_bytes = 0
        self._enqueued = 0
        self._acknowledged = 0
        # The count of updates enqueued up to and including the latest outcome (any update but a
        # START): what ``before_side_effect`` waits for in BATCHED mode.
        self._outcomes_through = 0
        self._sender: asyncio.Task[None] | None = None
        self._start_scheduled = False  # a pass of the loop will start the sender
        # A flushing task makes its calls itself when nothing else could run meanwhile
        # (``_send_from_here``); the sender waits for it to finish.
        self._calling = False
        self._not_calling = asyncio.Event()
        self._in_call = False  # a checkpoint call is out, its answer not yet back
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._failure: CheckpointError | None = None
        self.calls = 0
        """How many checkpoint calls this invocation made (for tests and benchmarks)."""
        self.refuse: Callable[[OperationUpdate], None] | None = None
        """Asked about every update before it is queued, once set: raises to refuse it (the
        runtime sets it once some work may no longer checkpoint; see ``core/orphans.py``)."""

    @property
    def pending(self) -> int:
        """How many updates are queued or in flight."""
        return self._enqueued - self._acknowledged

    def enqueue(self, update: OperationUpdate) -> None:
        """Queue ``update`` after every update queued before it.

        Raises:
            CheckpointError: an earlier checkpoint call failed; nothing more can be sent.
        """
        if self._failure is not None:
            raise self._failure
        if self.refuse is not None:
            self.refuse(update)
        queue = self._queue
        queue.append(update)
        size = estimated_size(update)
        self._sizes.append(size)
        self._enqueued += 1
        self._queued_bytes += size
        if update.Action is not _START:
            self._outcomes_through = self._enqueued
        # BATCHED sends in the background at once; EAGER sends when the operation settles (so a
        # step's START and outcome share one call); OPTIMISTIC only when forced or full.
        # (``has_full_call()``, inline: every update of every step and map item comes here.)
        if len(queue) >= self._max_updates or self._queued_bytes >= self._max_bytes:
            # A sender lingering for more updates has enough: wake it rather than let the
            # call (and every operation settling behind it) wait out the linger.
            self._flush_requested.set()
            self._start_sender()
        elif (
            self._sender is None
            and self.mode is CheckpointMode.BATCHED
            and not self._start_scheduled
        ):
            # Started at the loop's next pass, not now: a flush that comes first (the next
            # step, before its body) sends the update itself, and then no sender is needed.
            self._start_scheduled = True
            asyncio.get_running_loop().call_soon(self._start_if_needed)

    async def flush(self) -> None:
        """Return once every update queued so far is acknowledged by the service.

        Raises:
            CheckpointError: a checkpoint call failed.
        """
        if self._failure is not None:
            raise self._failure
        target = self._enqueued
        if self._acknowledged >= target:
            return
        if self._sender is None and not self._calling and self._everyone_waits(0):
            await self._send_from_here(target)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        self._flush_requested.set()
        self._start_sender()
        await waiter

    async def send(self, update: OperationUpdate) -> None:
        """Queue ``update`` and wait until it is acknowledged (a blocking checkpoint)."""
        self.enqueue(update)
        await self.flush()

    def must_wait_before_side_effect(self) -> bool:
        """Whether ``before_side_effect`` has anything to wait for now.

        Asked first on hot paths, so that a step whose predecessors are all acknowledged builds
        no coroutine for it.
        """
        if self.mode is CheckpointMode.BATCHED:
            return self._acknowledged < self._outcomes_through
        if self.mode is CheckpointMode.EAGER:
            return self._acknowledged < self._enqueued
        return False  # OPTIMISTIC trades this guarantee for fewer calls

    async def before_side_effect(self) -> None:
        """Return once what the mode promises is acknowledged, before user code acts on the world.

        BATCHED: every outcome queued so far (and whatever was queued with it, such as the START
        of the step about to run, which shares the call). EAGER: every update queued so far.
        OPTIMISTIC: nothing.

        Raises:
            CheckpointError: a checkpoint call failed.
        """
        if self.must_wait_before_side_effect():
            await self.flush()

    def must_settle(self) -> bool:
        """Whether ``settle()`` has anything to do now (EAGER, or a full call waits).

        Asked first on hot paths, so that an operation's completion builds no coroutine for a
        ``settle()`` that would return at once.
        """
        return self.mode is CheckpointMode.EAGER or self.has_full_call()

    async def settle(self) -> None:
        """Flush in EAGER mode; elsewhere return at once unless a full call waits.

        Called after each operation completes. Durable calls that never suspend (steps of
        ``async def`` functions awaiting nothing) keep the event loop to themselves, so the
        sender started for a full call would not run before the invocation ends, and every
        update would stay queued until then. Yielding once per full call lets the sender take
        it: memory stays bounded and the work is checkpointed as it goes.
        """
        if self.mode is CheckpointMode.EAGER:
            await self.flush()
        elif self.has_full_call():
            await asyncio.sleep(0)

    def has_full_call(self, coming: int = 0) -> bool:
        """Whether a full call waits for the sender (which needs a pass of the event loop).

        Args:
            coming: Updates about to be queued, counted as if they were: a call that they
                would fill is full already.
        """
        return (
            len(self._queue) + coming >= self._max_updates or self._queued_bytes >= self._max_bytes
        )

    def sender_needs_the_loop(self, coming: int = 0) -> bool:
        """Whether a full call waits for a sender free to take it now (``has_full_call``).

        What a map's scheduler asks before each branch it starts: a pass of the event loop lets
        the sender take the full call. While a call is out (on the sender's thread) the sender
        takes the next one only once its answer is back, so yielding before every branch then
        gains nothing but a pass of the loop per branch: a 1,000-item map on the boto3 path
        made about 190 passes, now about 10 (its time moved by 1 to 2 %, within noise).

        Args:
            coming: Updates about to be queued, counted as if they were.
        """
        return not self._in_call and self.has_full_call(coming)

    def _start_sender(self) -> None:
        if self._sender is None and self._failure is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_all())

    def _start_if_needed(self) -> None:
        self._start_scheduled = False
        if self._queue:
            self._start_sender()

    async def _send_from_here(self, target: int) -> None:
        """Make the calls up to ``target`` in the flushing task itself, which would only wait.

        Taken when every other task waits for this checkpointer and no sender runs: the calls
        then cost no task, no waiter and no pass of the event loop. Should the flushing task be
        cancelled while a call is out (nothing here does that while it is all that runs), the
        call's answer is lost with it: the checkpointer fails, retriably, rather than go on with
        a token it cannot know.
        """
        self._calling = True
        try:
            while self._acknowledged < target and self._queue:
                updates = self._take_call()
                try:
                    await self._send_call(updates)
                except asyncio.CancelledError:
                    self._fail(
                        CheckpointError(
                            "a checkpoint call was cancelled before its answer came back",
                            retriable=True,
                            execution_arn=self._state.execution_arn,
                        )
                    )
                    raise
                except CheckpointError as error:
                    self._fail(error)
                    raise
                except Exception as error:  # an adapter bug must not leave waiters hanging
                    failure = self._unexpected(error)
                    self._fail(failure)
                    raise failure from error
                self._acknowledged += len(updates)
                self._wake_waiters()
        finally:
            self._calling = False
            self._not_calling.set()
        if self._waiters and self._queue:
            self._start_sender()  # a task that asked meanwhile for more than this one did

    async def _linger_for_more(self) -> None:
        """In BATCHED mode, give neighbouring updates a moment to join the batch."""
        if (
            self.mode is not CheckpointMode.BATCHED
            or self._linger <= 0
            or self._waiters
            or self.has_full_call()
        ):
            return
        self._flush_requested.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._flush_requested.wait(), self._linger)

    def _unexpected(self, error: Exception) -> CheckpointError:
        failure = CheckpointError(
            f"checkpoint call failed unexpectedly: {error!r}",
            retriable=True,
            execution_arn=self._state.execution_arn,
        )
        failure.__cause__ = error
        return failure

    async def _send_all(self) -> None:
        try:
            while self._queue:
                if self._calling:  # a flushing task is making a call itself: one at a time
                    self._not_calling.clear()
                    await self._not_calling.wait()
                    continue
                await self._linger_for_more()
                if not self._queue or self._calling:
                    continue
                updates = self._take_call()
                try:
                    await self._send_call(updates)
                except CheckpointError as error:
                    self._fail(error)
                    return
                except Exception as error:  # an adapter bug must not leave waiters hanging
                    self._fail(self._unexpected(error))
                    return
                self._acknowledged += len(updates)
                self._wake_waiters()
        finally:
            self._sender = None

    def _take_call(self) -> list[OperationUpdate]:
        taken = 0
        size = 0
        for update_size in self._sizes:
            if taken and (taken >= self._max_updates or size + update_size > self._max_bytes):
                break
            taken += 1
            size += update_size
        updates = self._queue[:taken]
        del self._queue[:taken]
        del self._sizes[:taken]
        self._queued_bytes -= size
        return updates

    async def _send_call(self, updates: list[OperationUpdate]) -> None:
        self.calls += 1
        # The task making the call (the sender, or a flushing task sending from here) and the
        # tasks waiting for a flush: if the loop holds nothing else, the call is all that runs.
        alone = _ALL_THAT_RUNS.set(True) if self._others_wait() else None
        self._in_call = True
        try:
            try:
                response = await self._service.checkpoint(
                    self._state.execution_arn, self.token, updates
                )
            finally:
                self._in_call = False
            if response.CheckpointToken:
                self.token = response.CheckpointToken
            self._state.apply(response.NewExecutionState.Operations)
            marker = response.NewExecutionState.NextMarker
            if marker:  # a repeating marker raises PagingError (retriable) instead of looping
                for page in await follow_pages(
                    self._service, self._state.execution_arn, self.token, marker
                ):
                    self._state.apply(page.Operations)
        finally:
            if alone is not None:
                _ALL_THAT_RUNS.reset(alone)

    def _others_wait(self) -> bool:
        """Whether every task of the loop but the one making a call waits for a flush."""
        waiting = 0
        for _, waiter in self._waiters:
            if not waiter.done():
                waiting += 1
        return self._everyone_waits(waiting)

    def _everyone_waits(self, waiting: int) -> bool:
        """Whether the loop holds no task but this one and ``waiting`` that wait for a flush.

        A task waits on at most one flush at a time, so each unsettled waiter is a distinct
        task; a loop with no more tasks than those and this one has nothing else to run.
        ``live_task_count`` may count more (finished tasks still referenced, other loops'),
        never fewer: a miscount only sends the call the slower way.
        """
        most = live_task_count()
        if most <= waiting + 1:
            return True
        # A few more (finished tasks the garbage collector has yet to free, say the last
        # invocation's): count exactly, which walks them all, only while they are few.
        return most <= waiting + 1 + _EXACT_COUNT_UP_TO and len(asyncio.all_tasks()) <= waiting + 1

    def _wake_waiters(self) -> None:
        still_waiting = []
        for target, waiter in self._waiters:
            if target <= self._acknowledged:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still_waiting.append((target, waiter))
        self._waiters = still_waiting

    def _fail(self, error: CheckpointError) -> None:
        self._failure = error
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(error)
        self._waiters = []
