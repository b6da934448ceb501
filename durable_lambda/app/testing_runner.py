"""The in-memory test runner behind ``durable_lambda.testing``.

It plays the Lambda service for one handler: starts an execution on an in-memory store, invokes
the handler as Lambda would (the same invocation input and output, through the same entry point),
fires timers by skipping a fake clock, lets the test answer callbacks, and re-invokes until the
execution ends. Nothing sleeps: a three-day wait completes at once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dependency_injector import providers

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.chained_invokes import (
    ChainedInvokeRunner,
    FunctionRegistry,
    LocalServiceWithFunctions,
)
from durable_lambda.app.container import Container
from durable_lambda.app.driver import CountingService, ExecutionDriver, ExecutionStuckError
from durable_lambda.app.lambda_handler import DurableFunction, durable_execution
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.service.history import HistoryEvent

__all__ = [
    "CallbackHandle",
    "CountingService",
    "DurableTestRunner",
    "ExecutionResult",
    "ExecutionStuckError",
    "OperationView",
    "TestExecution",
]

_MAX_INVOCATION_RETRIES = 3


@dataclass(frozen=True)
class OperationView:
    """One operation of a finished or running execution, for assertions.

    Attributes:
        operation: The operation as the service stores it.
        attempts: For a step, how many attempts it has made (1 for a first-time success).
    """

    operation: Operation

    @property
    def id(self) -> str:
        """The operation id."""
        return self.operation.Id

    @property
    def name(self) -> str | None:
        """The operation's name."""
        return self.operation.Name

    @property
    def status(self) -> OperationStatus:
        """The operation's status."""
        return self.operation.Status

    @property
    def type(self) -> OperationType:
        """The operation's type."""
        return self.operation.Type

    @property
    def attempts(self) -> int:
        """How many attempts a step made (its service-side attempt count)."""
        details = self.operation.StepDetails
        return (details.Attempt or 0) if details else 0

    @property
    def result(self) -> Any:
        """The stored result, JSON-decoded (None when there is none)."""
        payload = self.operation.result_payload
        return json.loads(payload) if payload else None

    @property
    def error(self) -> ErrorObject | None:
        """The stored error, if the operation failed."""
        return self.operation.error


@dataclass(frozen=True)
class ExecutionResult:
    """How an execution ended.

    Attributes:
        status: ``SUCCEEDED``, ``FAILED`` (or another terminal status of the execution).
        result: The handler's return value, JSON-decoded.
        error: The error the execution failed with.
        invocations: How many times the handler was invoked.
    """

    status: str
    result: Any
    error: ErrorObject | None
    invocations: int


class CallbackHandle:
    """A callback of a running execution, answered from the test."""

    def __init__(self, execution: TestExecution, name: str) -> None:
        self._execution = execution
        self._name = name

    async def callback_id(self) -> str:
        """Drive the execution until the callback exists and return its id."""
        return await self._execution.wait_for_callback(self._name)

    async def succeed(self, payload: Any = None) -> None:
        """Answer the callback with ``payload``: text as it is, anything else JSON-encoded.

        The handler receives the answer as this text unless its callback config names a
        serializer (``CallbackConfig(serdes=PlainJsonSerDes())`` decodes JSON).
        """
        callback_id = await self.callback_id()
        text = payload if isinstance(payload, str) else json.dumps(payload)
        await self._execution.service.send_callback_success(callback_id, text)
        self._execution.pending_work = True

    async def fail(self, error: ErrorObject | str) -> None:
        """Fail the callback with ``error``."""
        callback_id = await self.callback_id()
        error_object = ErrorObject(ErrorMessage=error) if isinstance(error, str) else error
        await self._execution.service.send_callback_failure(callback_id, error_object)
        self._execution.pending_work = True

    async def heartbeat(self) -> None:
        """Send a heartbeat for the callback."""
        callback_id = await self.callback_id()
        await self._execution.service.send_callback_heartbeat(callback_id)


class TestExecution(ExecutionDriver):
    """One execution driven by a ``DurableTestRunner``, with what a test asserts on."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, runner: DurableTestRunner, arn: str, function: DurableFunction[Any] | None = None
    ) -> None:
        # A chained invoke's durable target runs as an execution of its own function.
        super().__init__(runner, arn, function or runner.function)

    # -- driving ------------------------------------------------------------------------

    async def result(self) -> ExecutionResult:
        """Drive the execution to its end, skipping time (callback deadlines included)."""
        await self.drive(until=None, skip_deadlines=True)
        record = await self.service.get_record(self.arn)
        return ExecutionResult(
            status=record.status.value,
            result=json.loads(record.result) if record.result else None,
            error=record.error,
            invocations=len(self.invocations),
        )

    async def wait_for_callback(self, name: str) -> str:
        """Drive the execution until a callback named ``name`` waits for an answer; return its id.

        A name reused (say, in a loop) names the first callback still open; once none is,
        and the execution cannot go on, the last callback of that name.
        """

        def found(open_only: bool) -> str | None:
            ops = self._operations_now if open_only else reversed(self._operations_now)
            for op in ops:
                if (
                    op.Type is OperationType.CALLBACK
                    and name in (op.Name, self._parent_name(op))
                    and op.CallbackDetails is not None
                    and op.CallbackDetails.CallbackId
                    and (op.Status is OperationStatus.STARTED or not open_only)
                ):
                    return op.CallbackDetails.CallbackId
            return None

        await self.drive(until=lambda: found(open_only=True) is not None, skip_deadlines=False)
        callback_id = found(open_only=True) or found(open_only=False)
        if callback_id is None:
            raise ExecutionStuckError(
                f"the execution ended or blocked without creating a callback named {name!r}",
                execution_arn=self.arn,
            )
        return callback_id

    async def drive_once(self) -> InvocationOutput | None:
        """Run the next invocation only (firing due timers first); None if nothing was due.

        Lets a test stop between invocations, e.g. to change the handler and see replay catch it.
        """
        record = await self.service.get_record(self.arn)
        if record.status.is_terminal:
            return None
        await self.service.advance(self.arn)
        if not (self.pending_work or await self.service.needs_invocation(self.arn)):
            return None
        await self._invoke()
        return self.invocations[-1]

    def callback(self, name: str) -> CallbackHandle:
        """Return the callback named ``name`` (or created inside a context of that name)."""
        return CallbackHandle(self, name)

    # -- inspecting ---------------------------------------------------------------------

    async def operations_async(self) -> list[Operation]:
        """Return every operation of the execution, as stored now."""
        record = await self.service.get_record(self.arn)
        return list(record.operations.values())

    def operations(
        self, *, parent: str | None = None, type: OperationType | None = None
    ) -> list[OperationView]:
        """Return the operations seen at the last drive, filtered by parent name or id and type."""
        ops = [op for op in self._operations_now if op.Type is not OperationType.EXECUTION]
        if parent is not None:
            parent_ids = {op.Id for op in self._operations_now if parent in (op.Id, op.Name)}
            ops = [op for op in ops if op.ParentId in parent_ids]
        if type is not None:
            ops = [op for op in ops if op.Type is type]
        return [OperationView(op) for op in ops]

    def operation(self, name: str) -> OperationView:
        """Return the operation named ``name``.

        Raises:
            KeyError: no operation has that name.
        """
        for op in self._operations_now:
            if op.Name == name:
                return OperationView(op)
        raise KeyError(f"no operation named {name!r}")

    def step(self, name: str) -> OperationView:
        """Return the step named ``name``."""
        view = self.operation(name)
        if view.type is not OperationType.STEP:
            raise KeyError(f"{name!r} is a {view.type.value}, not a STEP")
        return view

    async def history(self) -> list[HistoryEvent]:
        """Return the execution's history events."""
        return list(await self.service.history(self.arn))

    @property
    def checkpoint_calls(self) -> int:
        """Checkpoint calls made by every invocation of this runner so far."""
        return self.runner.counting_service.checkpoint_calls


class DurableTestRunner:
    """Runs a durable handler to completion in memory, with time skipped.

    Args:
        handler: A ``@durable_execution`` function, or a bare ``async def handler(event, ctx)``.
        checkpoint_mode: How checkpoints are sent (default ``BATCHED``).
        always_replay: End every invocation after each newly completed operation, so that the
            handler is replayed from the top again and again: non-determinism shows at once.
        start_time: Where the fake clock starts.
        functions: What ``ctx.invoke`` can call, by function name: durable handlers
            (``@durable_execution`` objects or bare ``async def handler(event, ctx)``), each run
            as an execution of its own, and plain functions of the payload (sync or async),
            called once. Invoking any other name fails with ``ResourceNotFoundException``.
        plugins: Instrumentation plugins for every invocation, after those the
            ``@durable_execution`` function was given.

    Example:
        >>> async def test_order() -> None:
        ...     async with DurableTestRunner(handler) as runner:
        ...         run = await runner.start({"orderId": "o-1"})
        ...         result = await run.result()
        ...     assert result.status == "SUCCEEDED"
    """

    def __init__(
        self,
        handler: DurableFunction[Any] | Callable[[Any, DurableContext], Awaitable[Any]],
        *,
        checkpoint_mode: CheckpointMode | str = CheckpointMode.BATCHED,
        always_replay: bool = False,
        log_during_replay: bool = False,
        start_time: datetime | None = None,
        function_name: str = "test-function",
        functions: Mapping[str, Any] | None = None,
        plugins: Sequence[InstrumentationPlugin] = (),
    ) -> None:
        container = Container()
        container.config.from_dict({"backend": "memory", "clock": "fake"})
        if isinstance(handler, DurableFunction):
            plugins = (*handler.plugins, *plugins)
            # The handler's own serializer is part of its behaviour on the wire: keep it.
            container.serdes.override(providers.Object(handler.container.serdes()))
            handler = handler.handler
        self.function: DurableFunction[Any] = durable_execution(container=container)(handler)
        self.clock = FakeClock(start_time) if start_time else FakeClock()
        self.store = InMemoryExecutionStore()
        registry = FunctionRegistry(functions or {}, self.function.container)
        self.local_service = LocalServiceWithFunctions(self.store, self.clock, registry=registry)
        self.chained_invokes = ChainedInvokeRunner(registry)
        self.counting_service = CountingService(self.local_service)
        self.options = RuntimeOptions(
            checkpoint_mode=CheckpointMode(str(checkpoint_mode).upper()),
            always_replay=always_replay,
            log_during_replay=log_during_replay,
            plugins=tuple(plugins),
        )
        self.function_name = function_name
        self.wait_for_outside = False  # a test answers callbacks itself; nobody else will
        self.poll_interval = 0.0

    async def __aenter__(self) -> DurableTestRunner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def start(self, event: Any = None) -> TestExecution:
        """Start an execution with ``event`` as its input; nothing runs until it is driven."""
        arn = await self.local_service.start_execution(self.function_name, json.dumps(event))
        return TestExecution(self, arn)

    async def run(self, event: Any = None) -> ExecutionResult:
        """Start an execution and drive it to its end."""
        execution = await self.start(event)
        return await execution.result()
