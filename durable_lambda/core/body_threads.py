"""Worker threads for plain-function bodies: a cheaper hand-over than ``asyncio.to_thread``.

A plain function (a ``def`` step body, a map function, a submitter) may block, so the SDK runs
it in a worker thread and the event loop goes on with other branches. ``asyncio.to_thread``
hands each call to the loop's default executor: a ``concurrent.futures.Future`` chained to an
asyncio future, the executor's locks and its thread accounting, on every call. ``run_in_thread``
keeps a few long-lived daemon threads waiting on one queue; a call is a ``put``, and its outcome
comes back with one ``call_soon_threadsafe``. Like ``to_thread``, the call runs in a copy of the
caller's context (``contextvars``), so context-local state (a trace id) reaches the body.

The threads are shared by the whole process and bounded by the default executor's largest bound
(32); calls beyond that wait their turn. A body abandoned at its step's
time-out or the deadline keeps its thread until it ends (see ``core/operations/attempt.py``), so
another thread is started for the next call when none is idle.

A body that does not block needs no thread: written ``async def``, or a plain function marked
``non_blocking`` (``core/non_blocking.py``), it runs on the loop with no hand-over at all
(docs/performance.md compares them). The hand-over itself is two thread wake-ups (the worker's,
then the loop's, through its self-pipe); copying the context is about 0.03 µs of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["hand_back", "run_in_thread"]

MAX_THREADS = 32
"""How many body threads may exist at once (the default executor's largest bound)."""

_Job = tuple[
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    asyncio.Future[Any],
    asyncio.AbstractEventLoop,
]


class _Threads:
    """The process's body threads and their queue of calls."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._idle:
                self._idle -= 1  # this call is that thread's; the next one starts another
            elif self._threads < MAX_THREADS:
                self._threads += 1
                threading.Thread(target=self._work, name="durable-lambda-body", daemon=True).start()
        self._jobs.put((contextvars.copy_context(), fn, args, future, loop))
        return future

    def _work(self) -> None:
        while True:
            context, fn, args, future, loop = self._jobs.get()
            error: BaseException | None
            try:
                result, error = context.run(fn, *args), None
            except BaseException as raised:  # handed to the awaiting task, whatever it is
                result, error = None, raised
            # Idle before the awaiting task can resume: the call it makes next (the next step's
            # body) then finds this thread, however late the thread is scheduled again.
            with self._lock:
                self._idle += 1
            hand_back(loop, future, result, error)
            del context, fn, args, future, loop, result, error  # nothing of a call stays here


def hand_back(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    """From another thread, settle ``future`` of ``loop`` with what a call there came to.

    Used by every thread that runs calls for a task (these body threads, the boto3 adapter's
    sender). A loop closed meanwhile has nobody waiting any more.
    """
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    elif isinstance(error, StopIteration):
        # An asyncio future refuses StopIteration (the awaiting task would wait forever); it
        # becomes the RuntimeError a coroutine's StopIteration becomes (PEP 479).
        refused = RuntimeError("the function raised StopIteration")
        refused.__cause__ = error
        future.set_exception(refused)
    else:
        future.set_exception(error)


_THREADS = _Threads()


def run_in_thread(fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """Run ``fn(*args)`` in a body thread; return a future of the running loop for its outcome.

    Cancelling the future (the awaiting task is cancelled) leaves the call running to its end;
    its outcome is dropped, as ``asyncio.to_thread`` drops it.
    """
    return _THREADS.submit(fn, args)
