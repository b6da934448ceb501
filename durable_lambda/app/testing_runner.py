"""The in-memory test runner behind ``durable_lambda.testing``.

It plays the Lambda service for one handler: starts an execution on an in-memory store, invokes
the handler as Lambda would (the same invocation input and output, through the same entry point),
fires timers by skipping a fake clock, lets the test answer callbacks, and re-invokes until the
execution ends. Nothing sleeps: a three-day wait completes at once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from durable_lambda.app.chained_invokes import ChainedInvokeRunner, FunctionRegistry
from durable_lambda.app.container import local_container
from durable_lambda.app.definition import (
    Environment,
    ServiceLimits,
    checkpoint_mode,
    settings_with,
)
from durable_lambda.app.driver import CountingService, ExecutionDriver, ExecutionStuckError
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.local_lambda_context import (
    DEFAULT_LAMBDA_TIMEOUT,
    LocalLambdaContext,
    timeout_seconds,
)
from durable_lambda.app.ports import LocalService, ManualClock
from durable_lambda.app.testing_sync import (
    SyncCallbackHandle,
    SyncRunnerError,
    SyncTestExecution,
    SyncTestRunner,
)
from durable_lambda.core.config import CheckpointMode, Duration
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.service.history import HistoryEvent
from durable_lambda.service.ports import ExecutionStore

__all__ = [
    "CallbackHandle",
    "CountingService",
    "DurableTestRunner",
    "ExecutionResult",
    "ExecutionStuckError",
    "OperationView",
    "SyncCallbackHandle",
    "SyncRunnerError",
    "SyncTestExecution",
    "SyncTestRunner",
    "TestExecution",
]


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
            seen = self.seen
            if seen is None:
                return None
            ops = seen.operations if open_only else reversed(seen.operations)
            for op in ops:
                if (
                    op.Type is OperationType.CALLBACK
                    and name in (op.Name, seen.parent_name(op))
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
        if (await self.service.snapshot(self.arn)).status.is_terminal:
            return None
        await self.service.advance(self.arn)
        self.seen = await self.service.snapshot(self.arn)
        if not (self.pending_work or self.seen.needs_invocation):
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
        ops = [op for op in self.operations_seen if op.Type is not OperationType.EXECUTION]
        if parent is not None:
            parent_ids = {op.Id for op in self.operations_seen if parent in (op.Id, op.Name)}
            ops = [op for op in ops if op.ParentId in parent_ids]
        if type is not None:
            ops = [op for op in ops if op.Type is type]
        return [OperationView(op) for op in ops]

    def operation(self, name: str) -> OperationView:
        """Return the operation named ``name``.

        Raises:
            KeyError: no operation has that name.
        """
        for op in self.operations_seen:
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

    It is a host like Lambda: the function keeps the settings it was decorated with (serializer,
    plugins, checkpoint mode, logger) and runs in an environment from the composition root
    (``local_container``): the local service over an in-memory store (or ``store``), a fake
    clock (or ``clock``), the structlog logger and randomness. ``runner.container`` holds it:
    override a provider to swap one (``runner.container.random.override(...)``).

    Args:
        handler: A ``@durable_execution`` function, or a bare ``async def handler(event, ctx)``.
        checkpoint_mode: Run in this mode instead of the function's own (default: its own).
        always_replay: End every invocation after each newly completed operation, so that the
            handler is replayed from the top again and again: non-determinism shows at once.
        log_during_replay: Log during replay or not, instead of as the function says.
        start_time: Where the fake clock starts.
        function_name: The name executions are started under.
        functions: What ``ctx.invoke`` can call, by function name: durable handlers
            (``@durable_execution`` objects or bare ``async def handler(event, ctx)``), each run
            as an execution of its own, and plain functions of the payload (sync or async),
            called once. Invoking any other name fails with ``ResourceNotFoundException``.
        plugins: Instrumentation plugins for every invocation, after the function's own.
        store: Keep executions in this ``ExecutionStore`` (any store of your own; see
            ``docs/storage-adapters.md``) instead of in memory.
        clock: Go by this clock (a ``FakeClock``) instead of a new one.
        lambda_timeout: The time-out of each invocation's ``LocalLambdaContext`` (the handler's
            ``ctx.lambda_context``), 15 minutes by default: a ``Duration``, a ``timedelta`` or
            seconds. Its remaining time is real time, so a short one makes the invocation's
            deadline (``durable_execution(deadline_margin=...)``) stop a slow step attempt as
            Lambda's time-out would come.

    Raises:
        ValidationError: ``checkpoint_mode`` names no mode, ``handler`` is not an ``async def``,
            a function is not a handler, both ``start_time`` and ``clock`` are given, or
            ``lambda_timeout`` is not a positive span of time.

    Two ways to use it: ``async with DurableTestRunner(handler) as runner`` (or no block at all)
    in a coroutine, whose calls are awaited (``await runner.run(event)``); or ``with
    DurableTestRunner(handler) as runner`` in a plain test, which gives a ``SyncTestRunner``
    whose calls block (``runner.run(event)``), on an event loop of its own for as long as the
    block lasts.

    Example:
        >>> async def test_order() -> None:
        ...     async with DurableTestRunner(handler) as runner:
        ...         run = await runner.start({"orderId": "o-1"})
        ...         result = await run.result()
        ...     assert result.status == "SUCCEEDED"
        >>> def test_order_in_a_plain_test() -> None:
        ...     with DurableTestRunner(handler) as runner:
        ...         result = runner.run({"orderId": "o-1"})
        ...     assert result.status == "SUCCEEDED"
    """

    def __init__(
        self,
        handler: DurableFunction[Any] | Callable[[Any, DurableContext], Awaitable[Any]],
        *,
        checkpoint_mode: CheckpointMode | str | None = None,
        always_replay: bool = False,
        log_during_replay: bool | None = None,
        start_time: datetime | None = None,
        function_name: str = "test-function",
        functions: Mapping[str, Any] | None = None,
        plugins: Sequence[InstrumentationPlugin] = (),
        store: ExecutionStore | None = None,
        clock: ManualClock | None = None,
        lambda_timeout: Duration | timedelta | float = DEFAULT_LAMBDA_TIMEOUT,
    ) -> None:
        if start_time is not None and clock is not None:
            raise ValidationError("give start_time or clock, not both", field="start_time")
        # Checked now; each invocation gets a LocalLambdaContext with this time-out.
        self.lambda_timeout = timeout_seconds(lambda_timeout, "lambda_timeout")
        function = handler if isinstance(handler, DurableFunction) else DurableFunction(handler)
        self.function: DurableFunction[Any] = function.with_settings(
            settings_with(
                function.settings,
                checkpoint_mode=_mode(checkpoint_mode),
                log_during_replay=log_during_replay,
                plugins=plugins,
            )
        )
        registry = FunctionRegistry(functions or {})
        self.container = local_container(
            store=store,
            clock=clock or "fake",
            start_time=start_time,
            invoke_refusal=registry.refusal,
        )
        self.clock: ManualClock = self.container.clock()
        self.store: ExecutionStore = self.container.execution_store()
        self.local_service: LocalService = self.container.local_service()
        self.chained_invokes = ChainedInvokeRunner(registry)
        self.counting_service = CountingService(self.local_service)
        self.always_replay = always_replay
        self.limits = ServiceLimits()
        self.function_name = function_name
        self.wait_for_outside = False  # a test answers callbacks itself; nobody else will
        self.poll_interval = 0.0
        self.skip_time = False  # the fake clock jumps anyway; deadlines skip as each call says
        self._blocking: SyncTestRunner | None = None  # inside `with`: the blocking runner

    def environment(self) -> Environment:
        """Return the environment each invocation runs in (built anew: overrides take effect).

        The container's adapters, with checkpoint calls counted, ``always_replay``,
        ``limits`` (the service limits: lower them to test what happens at a limit) and a new
        ``LocalLambdaContext`` whose time-out is ``lambda_timeout``.
        """
        environment: Environment = self.container.environment()
        return dataclasses.replace(
            environment,
            service=self.counting_service,
            always_replay=self.always_replay,
            limits=self.limits,
            lambda_context=LocalLambdaContext(
                timeout=self.lambda_timeout, function_name=self.function_name
            ),
        )

    async def __aenter__(self) -> DurableTestRunner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def __enter__(self) -> SyncTestRunner:
        """Return the runner for a plain (synchronous) test, its calls blocking: ``SyncTestRunner``.

        An event loop of the runner's own runs on a thread of its own until the ``with`` block
        ends.

        Raises:
            SyncRunnerError: the runner is inside a ``with`` block already.
        """
        if self._blocking is not None:
            raise SyncRunnerError("this DurableTestRunner is inside a `with` block already")
        self._blocking = SyncTestRunner(self)
        return self._blocking

    def __exit__(self, *exc_info: object) -> None:
        blocking, self._blocking = self._blocking, None
        if blocking is not None:
            blocking.close()

    async def start(self, event: Any = None) -> TestExecution:
        """Start an execution with ``event`` as its input; nothing runs until it is driven."""
        arn = await self.local_service.start_execution(self.function_name, json.dumps(event))
        return TestExecution(self, arn)

    async def run(self, event: Any = None) -> ExecutionResult:
        """Start an execution and drive it to its end."""
        execution = await self.start(event)
        return await execution.result()


def _mode(value: CheckpointMode | str | None) -> CheckpointMode | None:
    return None if value is None else checkpoint_mode(value)
