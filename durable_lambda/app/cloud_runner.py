"""``CloudRunner``: run a deployed durable function through the Lambda API, for tests.

It starts an execution as any caller would, with an asynchronous ``Invoke`` that names the
execution (``InvocationType="Event"``, ``DurableExecutionName``), takes its ARN from the answer
(or finds it with ``ListDurableExecutionsByFunction`` by that name), answers its callbacks
(``SendDurableExecutionCallbackSuccess|Failure|Heartbeat``), and polls ``GetDurableExecution``
and ``GetDurableExecutionHistory`` until it ends. What a test asserts on is what
``DurableTestRunner`` gives: an ``ExecutionResult``, and ``OperationView``s folded from the
history. Any endpoint that serves these calls works: AWS, or an emulator behind a Lambda
Invoke endpoint.

boto3 calls block, so each runs in a worker thread; the polls wait with ``asyncio.sleep``
(``durable_lambda.app.cloud_api``, which also defines the errors re-exported here).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from durable_lambda.app.cloud_api import (
    NOT_FOUND,
    CloudRunnerError,
    CloudTimeoutError,
    call_lambda,
    lambda_client,
    poll_until,
)
from durable_lambda.app.driver import ExecutionStuckError
from durable_lambda.app.replayer.recorded import from_history
from durable_lambda.app.testing_execution import (
    ExecutionResult,
    OperationView,
    as_step,
    filtered_views,
    named_view,
)
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import ErrorObject, Operation, OperationStatus, OperationType
from durable_lambda.service.history import EventType, HistoryEvent

__all__ = [
    "CloudCallback",
    "CloudExecution",
    "CloudRunner",
    "CloudRunnerError",
    "CloudTimeoutError",
]

T = TypeVar("T")

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_HISTORY_PAGE = 1000


class CloudRunner:
    """Runs a deployed durable function and reports on it as ``DurableTestRunner`` does.

    Args:
        function_name: The function's name or ARN.
        qualifier: The version or alias to invoke (else the unqualified function, ``$LATEST``).
        client: A boto3 ``lambda`` client; else one is built from the standard credential
            chain with ``region``, ``profile`` and ``endpoint_url``.
        region: The AWS region of the built client.
        profile: A named profile of the shared AWS config for the built client.
        endpoint_url: Another endpoint for the built client (an emulator, a VPC endpoint).
        poll_interval: Seconds between polls of the execution.
        timeout: Seconds to wait for an execution to end, or a callback to open (a limit of
            our own rather than ``asyncio.timeout``, so that its error can say how the
            execution stands).

    Example:
        >>> async def test_deployed_order() -> None:
        ...     runner = CloudRunner("order-processor", qualifier="live")
        ...     run = await runner.start({"orderId": "o-1"})
        ...     await run.callback("approval").succeed({"approved": True})
        ...     result = await run.result()
        ...     assert result.status == "SUCCEEDED"
    """

    def __init__(
        self,
        function_name: str,
        *,
        qualifier: str | None = None,
        client: Any = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: float = 1.0,
        timeout: float = 300.0,
    ) -> None:
        if not function_name:
            raise ValidationError("function_name must name a function", field="function_name")
        if poll_interval <= 0 or timeout <= 0:
            raise ValidationError(
                f"poll_interval and timeout must be positive, got {poll_interval} and {timeout}",
                field="poll_interval" if poll_interval <= 0 else "timeout",
            )
        self.function_name = function_name
        self.qualifier = qualifier
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.client = client if client is not None else lambda_client(region, profile, endpoint_url)

    async def __aenter__(self) -> CloudRunner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def start(self, event: Any = None, *, name: str | None = None) -> CloudExecution:
        """Start an execution with ``event`` as its input (an asynchronous invoke).

        Args:
            event: The input, JSON-encoded as the invoke's payload.
            name: The execution's name (1-64 letters, digits, ``-``, ``_``); a unique one
                when omitted.

        Raises:
            ValidationError: ``name`` is not a valid execution name.
            CloudRunnerError: the invoke failed, or the execution cannot be found.
            CloudTimeoutError: the execution was not listed within the timeout.
        """
        name = name or f"cloud-runner-{uuid.uuid4().hex}"
        if not _NAME.fullmatch(name):
            raise ValidationError(
                f"an execution name is 1-64 letters, digits, '-' or '_', got {name!r}",
                field="name",
            )
        request: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": "Event",
            "DurableExecutionName": name,
            "Payload": json.dumps(event).encode(),
        }
        if self.qualifier:
            request["Qualifier"] = self.qualifier
        answer = await self._call("invoke", self.function_name, **request)
        if answer.get("StatusCode") != 202:
            raise CloudRunnerError(
                f"Invoke of {self.function_name} answered {answer.get('StatusCode')}, not 202: "
                "is it a durable function?"
            )
        arn = answer.get("DurableExecutionArn") or await self._find(name)
        return CloudExecution(self, str(arn), name)

    async def run(self, event: Any = None, *, name: str | None = None) -> ExecutionResult:
        """Start an execution and wait for its end (see ``start`` and ``CloudExecution.result``)."""
        execution = await self.start(event, name=name)
        return await execution.result()

    async def _find(self, name: str) -> str:
        """Find the ARN of the execution named ``name``: the invoke's answer did not carry it."""
        request: dict[str, Any] = {"FunctionName": self.function_name, "DurableExecutionName": name}
        if self.qualifier:
            request["Qualifier"] = self.qualifier

        async def listed() -> str | None:
            page = await self._call("list_durable_executions_by_function", name, **request)
            found = page.get("DurableExecutions") or []
            return str(found[0]["DurableExecutionArn"]) if found else None

        arn: str = await self._poll(listed, f"execution {name!r} of {self.function_name} listed")
        return arn

    async def _call(self, operation: str, subject: str, **request: Any) -> dict[str, Any]:
        """Make one Lambda API call (see ``cloud_api.call_lambda``)."""
        return await call_lambda(self.client, operation, subject, **request)

    async def _poll(
        self,
        found: Callable[[], Any],
        waiting_for: str,
        standing: Callable[[], str] | None = None,
    ) -> Any:
        """Await ``found()`` every ``poll_interval`` until it is not None, within ``timeout``."""
        interval, limit = self.poll_interval, self.timeout
        return await poll_until(
            found,
            waiting_for,
            interval=interval,
            limit=limit,
            standing=standing,
        )


class CloudExecution:
    """One execution started by a ``CloudRunner``, with what a test asserts on.

    Attributes:
        arn: The execution's ARN.
        name: Its name.
    """

    def __init__(self, runner: CloudRunner, arn: str, name: str) -> None:
        self.runner = runner
        self.arn = arn
        self.name = name
        self.status = "RUNNING"
        self._seen = False
        self._operations_now: list[Operation] = []
        self._events: list[HistoryEvent] = []

    # -- waiting --------------------------------------------------------------------------

    async def result(self) -> ExecutionResult:
        """Poll until the execution ends; return how it ended.

        Raises:
            CloudTimeoutError: it was still running after the runner's ``timeout``; the message
                names the open callbacks it may be waiting on.
            CloudRunnerError: a call failed.
        """

        async def ended() -> dict[str, Any] | None:
            described = await self._unless_not_visible_yet(self._describe())
            return described if described and described["Status"] in _TERMINAL else None

        described = await self.runner._poll(ended, f"{self.arn} to end", self._standing)
        await self.refresh()
        error = described.get("Error")
        return ExecutionResult(
            status=str(described["Status"]),
            result=json.loads(described["Result"]) if described.get("Result") else None,
            error=ErrorObject.model_validate(error) if error else None,
            invocations=sum(e.EventType is EventType.INVOCATION_COMPLETED for e in self._events),
        )

    async def wait_for_callback(self, name: str) -> str:
        """Poll until a callback named ``name`` (or inside a context so named) is open; its id.

        Raises:
            ExecutionStuckError: the execution ended without opening such a callback.
            CloudTimeoutError: none was open within the runner's ``timeout``.
        """

        async def open_callback() -> str | None:
            await self._unless_not_visible_yet(self.refresh())
            callback_id = self._callback_id(name)
            if callback_id is None and self.status in _TERMINAL:
                raise ExecutionStuckError(
                    f"the execution ended {self.status} without opening a callback named {name!r}",
                    execution_arn=self.arn,
                )
            return callback_id

        waiting_for = f"a callback named {name!r} in {self.arn}"
        found: str = await self.runner._poll(open_callback, waiting_for, self._standing)
        return found

    def callback(self, name: str) -> CloudCallback:
        """Return the callback named ``name`` (or created inside a context of that name)."""
        return CloudCallback(self, name)

    async def stop(self, error: ErrorObject | None = None) -> None:
        """Stop the execution (``StopDurableExecution``), e.g. when a test gives up on it."""
        request: dict[str, Any] = {"DurableExecutionArn": self.arn}
        if error is not None:
            request["Error"] = error.to_wire()
        await self.runner._call("stop_durable_execution", self.arn, **request)

    # -- inspecting -----------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the execution's history again (every page); ``operations()`` then shows it."""
        events: list[HistoryEvent] = []
        request: dict[str, Any] = {
            "DurableExecutionArn": self.arn,
            "IncludeExecutionData": True,
            "MaxItems": _HISTORY_PAGE,
        }
        while True:
            page = await self.runner._call("get_durable_execution_history", self.arn, **request)
            events += [HistoryEvent.model_validate(event) for event in page.get("Events", [])]
            if not page.get("NextMarker"):
                break
            request["Marker"] = page["NextMarker"]
        self._seen = True
        if not any(event.EventType is EventType.EXECUTION_STARTED for event in events):
            return  # not recorded yet: nothing to fold
        recorded = from_history(events, arn=self.arn, name=self.name, source=self.arn)
        self._events = events
        self._operations_now = list(recorded.operations)
        self.status = recorded.status.value

    async def history(self) -> list[HistoryEvent]:
        """Return the execution's history events, read now."""
        await self.refresh()
        return list(self._events)

    async def operations_async(self) -> list[Operation]:
        """Return every operation of the execution, folded from its history read now."""
        await self.refresh()
        return list(self._operations_now)

    def operations(
        self, *, parent: str | None = None, type: OperationType | None = None
    ) -> list[OperationView]:
        """Return the operations seen at the last poll, filtered by parent name or id and type."""
        return filtered_views(self._operations_now, parent, type)

    def operation(self, name: str) -> OperationView:
        """Return the operation named ``name``, as seen at the last poll.

        Raises:
            KeyError: no operation has that name.
        """
        return named_view(self._operations_now, name, f"as of the last poll of {self.arn}")

    def step(self, name: str) -> OperationView:
        """Return the step named ``name``, as seen at the last poll."""
        return as_step(self.operation(name))

    # -- helpers --------------------------------------------------------------------------

    async def _describe(self) -> dict[str, Any]:
        described = await self.runner._call(
            "get_durable_execution", self.arn, DurableExecutionArn=self.arn
        )
        self._seen = True
        self.status = str(described["Status"])
        return described

    async def _unless_not_visible_yet(self, call: Awaitable[T]) -> T | None:
        """Await ``call``; None if the execution is not found, as just after it was started."""
        try:
            return await call
        except CloudRunnerError as error:
            if error.code != NOT_FOUND or self._seen:
                raise
            return None

    def _callback_id(self, name: str) -> str | None:
        names = {op.Id: op.Name for op in self._operations_now}
        for op in self._operations_now:
            details = op.CallbackDetails
            if (
                op.Type is OperationType.CALLBACK
                and op.Status is OperationStatus.STARTED
                and name in (op.Name, names.get(op.ParentId or ""))
                and details is not None
                and details.CallbackId
            ):
                return details.CallbackId
        return None

    def _standing(self) -> str:
        if not self._seen:
            return f"the service has not found it yet ({NOT_FOUND})"
        open_callbacks = [
            f"{op.Name or op.Id!r}"
            for op in self._operations_now
            if op.Type is OperationType.CALLBACK and op.Status is OperationStatus.STARTED
        ]
        waits = ", ".join(open_callbacks) if open_callbacks else "none"
        return f"it is {self.status}; open callbacks: {waits}"


class CloudCallback:
    """A callback of a running execution, answered through the Lambda API."""

    def __init__(self, execution: CloudExecution, name: str) -> None:
        self._execution = execution
        self._name = name

    async def callback_id(self) -> str:
        """Poll until the callback is open and return its id."""
        return await self._execution.wait_for_callback(self._name)

    async def succeed(self, payload: Any = None) -> None:
        """Answer the callback with ``payload`` (JSON-encoded, as a real sender would)."""
        callback_id = await self.callback_id()
        await self._send(
            "send_durable_execution_callback_success",
            CallbackId=callback_id,
            Result=json.dumps(payload).encode(),
        )

    async def fail(self, error: ErrorObject | str) -> None:
        """Fail the callback with ``error``."""
        callback_id = await self.callback_id()
        error_object = ErrorObject(ErrorMessage=error) if isinstance(error, str) else error
        await self._send(
            "send_durable_execution_callback_failure",
            CallbackId=callback_id,
            Error=error_object.to_wire(),
        )

    async def heartbeat(self) -> None:
        """Send a heartbeat for the callback."""
        callback_id = await self.callback_id()
        await self._send("send_durable_execution_callback_heartbeat", CallbackId=callback_id)

    async def _send(self, operation: str, **request: Any) -> None:
        subject = f"callback {self._name!r} of {self._execution.arn}"
        await self._execution.runner._call(operation, subject, **request)
