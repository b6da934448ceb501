"""``DurableTestRunner`` from a plain (synchronous) test: ``with DurableTestRunner(h) as runner``.

Entering a ``DurableTestRunner`` with ``with`` (not ``async with``) starts an event loop of the
runner's own, on a thread of its own, and hands back a ``SyncTestRunner``: the same runner whose
calls block until they are done (``runner.run(event)`` returns the ``ExecutionResult``). Each call
runs on that loop while the test's thread waits, so a handler sees the event loop it would on
Lambda and the test needs no async plugin; the loop and its thread end when the ``with`` block
does. Because the loop is not the test's, the blocking runner works anywhere, even where an event
loop is already running (an ``async def`` test, a notebook).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.core.model import ErrorObject, InvocationOutput, OperationType
from durable_lambda.service.history import HistoryEvent

if TYPE_CHECKING:
    from durable_lambda.app.testing_execution import (
        CallbackHandle,
        ExecutionResult,
        OperationView,
        TestExecution,
    )

__all__ = [
    "AsyncRunner",
    "SyncCallbackHandle",
    "SyncRunnerError",
    "SyncTestExecution",
    "SyncTestRunner",
]

T = TypeVar("T")


class AsyncRunner(Protocol):
    """What a blocking runner drives: ``DurableTestRunner``'s coroutines.

    Named structurally, so that this module does not import the runner that imports it.
    """

    async def run(self, event: Any = None) -> ExecutionResult:
        """Start an execution and drive it to its end."""
        ...

    async def start(self, event: Any = None) -> TestExecution:
        """Start an execution; nothing runs until it is driven."""
        ...


class SyncRunnerError(DurableExecutionError, RuntimeError):
    """A blocking runner was used where it cannot run.

    After its ``with`` block ended (its event loop is gone), or from its own event loop (from
    the handler under test), where it would wait for itself.
    """


class _LoopThread:
    """An event loop running on a thread of its own; ``call`` runs a coroutine there and waits."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and return what it returns (or raise what it raises).

        Raises:
            SyncRunnerError: the loop was closed, or this is the loop's own thread.
        """
        if self._closed:
            coroutine.close()  # never awaited: say so without a "never awaited" warning
            raise SyncRunnerError(
                "this DurableTestRunner's `with` block has ended: use the runner inside it"
            )
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise SyncRunnerError(
                "a blocking DurableTestRunner call was made from its own event loop (from the "
                "handler under test?): it would wait for itself"
            )
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted (Ctrl-C) while waiting: stop the work too
            raise

    def close(self) -> None:
        """Cancel what still runs on the loop, stop it and join its thread (idempotent)."""
        if self._closed:
            return
        try:
            self.call(_cancel_the_rest())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            # Closing the loop lets its worker threads go without waiting for them: a plain
            # function step that never returns must not keep the test from ending.
            self._loop.close()


async def _cancel_the_rest() -> None:
    """Cancel every task but this one (background work a test left running) and wait for them."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


class SyncCallbackHandle:
    """A callback of a running execution, answered from a plain test (see ``CallbackHandle``)."""

    def __init__(self, handle: CallbackHandle, loop: _LoopThread) -> None:
        self._handle = handle
        self._loop = loop

    def callback_id(self) -> str:
        """Drive the execution until the callback exists and return its id."""
        return self._loop.call(self._handle.callback_id())

    def succeed(self, payload: Any = None) -> None:
        """Answer the callback with ``payload``: text as it is, anything else JSON-encoded."""
        self._loop.call(self._handle.succeed(payload))

    def fail(self, error: ErrorObject | str) -> None:
        """Fail the callback with ``error``."""
        self._loop.call(self._handle.fail(error))

    def heartbeat(self) -> None:
        """Send a heartbeat for the callback."""
        self._loop.call(self._handle.heartbeat())


class SyncTestExecution:
    """One execution driven by a blocking runner: ``TestExecution``'s calls, each waited for.

    Attributes:
        execution: The ``TestExecution`` behind it (its coroutines run on the runner's loop).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, execution: TestExecution, loop: _LoopThread) -> None:
        self.execution = execution
        self._loop = loop

    @property
    def arn(self) -> str:
        """The execution's ARN."""
        return self.execution.arn

    @property
    def invocations(self) -> list[InvocationOutput]:
        """What each invocation returned, in order."""
        return self.execution.invocations

    @property
    def checkpoint_calls(self) -> int:
        """Checkpoint calls made by every invocation of the runner so far."""
        return self.execution.checkpoint_calls

    def result(self) -> ExecutionResult:
        """Drive the execution to its end, skipping time, and return how it ended."""
        return self._loop.call(self.execution.result())

    def wait_for_callback(self, name: str) -> str:
        """Drive the execution until a callback named ``name`` waits; return its id."""
        return self._loop.call(self.execution.wait_for_callback(name))

    def callback(self, name: str) -> SyncCallbackHandle:
        """Return the callback named ``name`` (or created inside a context of that name)."""
        return SyncCallbackHandle(self.execution.callback(name), self._loop)

    def drive_once(self) -> InvocationOutput | None:
        """Run the next invocation only (firing due timers first); None if nothing was due."""
        return self._loop.call(self.execution.drive_once())

    def operations(
        self, *, parent: str | None = None, type: OperationType | None = None
    ) -> list[OperationView]:
        """Return the operations seen at the last drive, filtered by parent and type."""
        return self.execution.operations(parent=parent, type=type)

    def operation(self, name: str) -> OperationView:
        """Return the operation named ``name`` (``KeyError`` if there is none)."""
        return self.execution.operation(name)

    def step(self, name: str) -> OperationView:
        """Return the step named ``name`` (``KeyError`` if there is none)."""
        return self.execution.step(name)

    def history(self) -> list[HistoryEvent]:
        """Return the execution's history events."""
        return self._loop.call(self.execution.history())


class SyncTestRunner:
    """A ``DurableTestRunner`` whose calls block: what ``with DurableTestRunner(...)`` gives.

    Its event loop runs on a thread of its own from when it is made until ``close`` (the end of
    the ``with`` block); every call runs there and is waited for.

    Args:
        runner: The runner whose executions it drives.

    Attributes:
        runner: That runner (its clock, store, container and limits).

    Example:
        >>> def test_order() -> None:
        ...     with DurableTestRunner(handler) as runner:
        ...         result = runner.run({"orderId": "o-1"})
        ...     assert result.status == "SUCCEEDED"
    """

    def __init__(self, runner: AsyncRunner) -> None:
        self.runner = runner
        self._loop = _LoopThread(name=f"durable-test-runner-{id(self):x}")

    def run(self, event: Any = None) -> ExecutionResult:
        """Start an execution with ``event`` as its input and drive it to its end."""
        return self._loop.call(self.runner.run(event))

    def start(self, event: Any = None) -> SyncTestExecution:
        """Start an execution with ``event`` as its input; nothing runs until it is driven."""
        return SyncTestExecution(self._loop.call(self.runner.start(event)), self._loop)

    def close(self) -> None:
        """End the event loop and its thread (what ran on it and did not finish is cancelled)."""
        self._loop.close()

    def __enter__(self) -> SyncTestRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
