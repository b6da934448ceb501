"""One long-lived thread that makes the blocking calls of an adapter, fed through a queue.

``asyncio.to_thread`` hands each call to the default executor: a context copy, a
``concurrent.futures.Future`` chained to an asyncio future, and the executor's own bookkeeping,
on every call. ``SenderThread`` keeps one thread waiting on a ``queue.SimpleQueue``; a call is one
``put`` and one ``call_soon_threadsafe`` back. Calls are made one after another, in the order they
were handed over, which is all a checkpointer needs (it makes one call at a time).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from durable_lambda.core.body_threads import hand_back

__all__ = ["SenderThread"]

A = TypeVar("A")
R = TypeVar("R")

_Job = tuple[Callable[[Any], Any], Any, asyncio.Future[Any], asyncio.AbstractEventLoop]


class SenderThread:
    """A daemon thread, started on the first call, that runs ``fn(arg)`` for each call in turn.

    A call whose awaiting task is cancelled still runs to its end in the thread (a request on the
    network cannot be taken back); its result is dropped, as ``asyncio.to_thread`` drops it.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, fn: Callable[[A], R], arg: A) -> asyncio.Future[R]:
        """Hand ``fn(arg)`` to the thread; return a future of the running loop for its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if self._thread is None:
            self._start()
        self._jobs.put((fn, arg, future, loop))
        return future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._work, name="durable-lambda-sender", daemon=True
                )
                thread.start()
                self._thread = thread

    def _work(self) -> None:
        while True:
            fn, arg, future, loop = self._jobs.get()
            try:
                result, error = fn(arg), None
            except BaseException as raised:  # handed to the caller, whatever it is
                result, error = None, raised
            hand_back(loop, future, result, error)
            del fn, arg, future, loop, result, error  # nothing of a call outlives it here
