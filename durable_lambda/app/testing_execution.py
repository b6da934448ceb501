"""What a test asserts on: an execution driven by ``DurableTestRunner``, its operations, its end.

Apart from the runner itself (``testing_runner``) so that the blocking wrappers of
``testing_sync`` can name these types without importing the runner that returns them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from durable_lambda.app.driver import DriverHost, ExecutionDriver, ExecutionStuckError
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.service.history import HistoryEvent

__all__ = [
    "CallbackHandle",
    "ExecutionResult",
    "OperationView",
    "TestExecution",
    "TestHost",
    "as_step",
    "filtered_views",
    "named_view",
]


class TestHost(DriverHost, Protocol):
    """What a ``TestExecution`` needs from its runner: a driver's host and the function."""

    @property
    def function(self) -> DurableFunction[Any]:
        """The durable function the runner runs."""
        ...


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
        self, runner: TestHost, arn: str, function: DurableFunction[Any] | None = None
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
        return filtered_views(self.operations_seen, parent, type)

    def operation(self, name: str) -> OperationView:
        """Return the operation named ``name``.

        Raises:
            KeyError: no operation has that name.
        """
        return named_view(self.operations_seen, name)

    def step(self, name: str) -> OperationView:
        """Return the step named ``name``."""
        return as_step(self.operation(name))

    async def history(self) -> list[HistoryEvent]:
        """Return the execution's history events."""
        return list(await self.service.history(self.arn))

    @property
    def checkpoint_calls(self) -> int:
        """Checkpoint calls made by every invocation of this runner so far."""
        return self.runner.counting_service.checkpoint_calls


def filtered_views(
    operations: Sequence[Operation], parent: str | None, type: OperationType | None
) -> list[OperationView]:
    """Return views of ``operations`` but the EXECUTION, under ``parent`` (name or id), of ``type``.

    What ``operations()`` answers for every runner (in memory or deployed).
    """
    ops = [op for op in operations if op.Type is not OperationType.EXECUTION]
    if parent is not None:
        parent_ids = {op.Id for op in operations if parent in (op.Id, op.Name)}
        ops = [op for op in ops if op.ParentId in parent_ids]
    if type is not None:
        ops = [op for op in ops if op.Type is type]
    return [OperationView(op) for op in ops]


def named_view(operations: Sequence[Operation], name: str, seen: str = "") -> OperationView:
    """Return the view of the first operation named ``name``.

    Raises:
        KeyError: none is; ``seen`` (say, "as of the last poll") ends the message.
    """
    for op in operations:
        if op.Name == name:
            return OperationView(op)
    raise KeyError(f"no operation named {name!r}{f' ({seen})' if seen else ''}")


def as_step(view: OperationView) -> OperationView:
    """Return ``view`` if it is a step.

    Raises:
        KeyError: it is another type of operation.
    """
    if view.type is not OperationType.STEP:
        raise KeyError(f"{view.name!r} is a {view.type.value}, not a STEP")
    return view
