"""Running synchronous user code beside the event loop, and durable calls from it.

A handler written for the official SDK is synchronous: ``context.step(...)`` blocks until the
step's result is there. Here every durable call is a coroutine on the invocation's event loop.
The bridge runs each piece of synchronous user code (the handler, a child context's function,
a map item, a parallel branch) in a thread of its own, and each durable call it makes is run on
the loop while that thread waits for the outcome. Suspension (``SuspendExecution``, a
``BaseException``) travels back through the user's code exactly as it does in the official SDK.

A thread of its own, rather than a pool: a map item's thread waits for its steps, whose plain
bodies run in the loop's default pool, so a bounded pool shared by both could fill with waiting
items and never run a step.

When the loop abandons a piece of user code (a map completed early and cancelled its unfinished
items), the durable call its thread is waiting for is cancelled, and awaited, before the item's
task ends, as the call would have been had it run in that task; every later call raises
``asyncio.CancelledError`` in that thread, so abandoned code stops at its next durable call
instead of checkpointing under a completed parent. A call's task is made on the loop's thread,
where abandoning happens too, so a call cannot slip in after its code was abandoned.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["Lane", "call_on_loop", "current_lane", "run_in_thread"]

T = TypeVar("T")


class Lane:
    """One piece of synchronous user code running in its thread, as the loop sees it.

    Attributes:
        loop: The event loop its durable calls run on.
        abandoned: Set once the loop stopped waiting for it.
    """

    __slots__ = ("_task", "abandoned", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.abandoned = False
        self._task: asyncio.Task[Any] | None = None  # the durable call being waited for

    def abandon(self) -> asyncio.Task[Any] | None:
        """Stop the code: cancel the call it waits for, and return it; later calls raise at once.

        Called on the loop's thread.
        """
        self.abandoned = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            return task
        return None

    def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run the coroutine ``make()`` builds on the loop and wait for its outcome.

        Raises:
            asyncio.CancelledError: the code was abandoned.
            RuntimeError: called on the loop's own thread (it would wait for itself forever).
        """
        if self.abandoned:
            raise asyncio.CancelledError("the loop no longer waits for this code")
        if _running_loop() is self.loop:
            raise RuntimeError(
                "a synchronous durable call was made on the event loop's thread; call it from "
                "the handler's code (durable_lambda.compat.aws runs that in a thread of its own)"
            )
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def start() -> None:  # on the loop's thread
            if self.abandoned:
                future.cancel()
                return
            task = self.loop.create_task(make())
            self._task = task
            task.add_done_callback(lambda done: self._settle(done, future))

        self.loop.call_soon_threadsafe(start)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise asyncio.CancelledError("the loop no longer waits for this code") from None

    def _settle(self, task: asyncio.Task[T], future: concurrent.futures.Future[T]) -> None:
        """Hand the call's outcome to the waiting thread."""
        if self._task is task:
            self._task = None
        if task.cancelled():
            future.cancel()
            return
        error = task.exception()
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(task.result())


_current = threading.local()


def current_lane(default: Lane) -> Lane:
    """Return the calling thread's lane, or ``default`` in a thread the bridge did not start."""
    lane: Lane | None = getattr(_current, "lane", None)
    return lane if lane is not None else default


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def run_in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a new thread, the durable calls it makes on this loop; return its value.

    What ``fn`` raises is raised here (``SuspendExecution`` included). If the awaiting task is
    cancelled, the thread's code is abandoned (see ``Lane``).
    """
    loop = asyncio.get_running_loop()
    lane = Lane(loop)
    done: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(outcome: tuple[bool, Any]) -> None:
        if done.done():  # the task gave up on it
            return
        ok, value = outcome
        if ok:
            done.set_result(value)
        else:
            done.set_exception(value)

    def target() -> None:
        _current.lane = lane
        try:
            outcome: tuple[bool, Any] = (True, context.run(fn, *args))
        except BaseException as error:  # handed to the loop, which raises it in the task
            outcome = (False, error)
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(
        target=target, name=f"durable-{getattr(fn, '__name__', 'code')}", daemon=True
    ).start()
    try:
        return await done
    except asyncio.CancelledError:
        call = lane.abandon()
        if call is not None:  # the durable call ends before this task does, as if it ran here
            await asyncio.wait({call})
        raise


def call_on_loop(lane: Lane, fn: Callable[..., T], *args: Any) -> T:
    """Run the plain function ``fn(*args)`` on the loop (it touches the invocation's state)."""

    async def run() -> T:
        return fn(*args)

    return lane.call(run)
