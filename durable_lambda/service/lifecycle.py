"""An execution's life: its start, the invocations that run it, its end, its description.

``start_execution`` makes a new record (``ExecutionStarted``, the EXECUTION operation, a first
token); ``record_invocation`` records each invocation and acts on its output (an execution ends
when its handler returns SUCCEEDED or FAILED); ``stop_execution`` ends it from outside;
``describe_execution`` is ``GetDurableExecution``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.core.model import (
    ErrorObject,
    ExecutionDetails,
    InvocationOutput,
    InvocationStatus,
    Operation,
    OperationStatus,
    OperationType,
    Timestamp,
    WireModel,
)
from durable_lambda.service.arns import execution_name_from_arn, execution_operation_id
from durable_lambda.service.history import (
    EventInput,
    EventType,
    ExecutionStartedDetails,
    InvocationCompletedDetails,
)
from durable_lambda.service.invokes import executed_version
from durable_lambda.service.record import (
    ExecutionRecord,
    ExecutionStatus,
    TimerKind,
    to_millis,
)
from durable_lambda.service.recording import (
    add_event,
    end_execution,
    error_payload,
    put_operation,
    set_timer,
)
from durable_lambda.service.tokens import checkpoint_token_for, issue_token

__all__ = [
    "ExecutionDescription",
    "describe_execution",
    "has_pending_work",
    "needs_invocation",
    "record_invocation",
    "start_execution",
    "stop_execution",
]

_INVALID_OUTPUT_ERROR_TYPE = "InvalidParameterValueException"


def start_execution(
    arn: str,
    function_name: str,
    input_payload: str | None,
    now: datetime,
    *,
    name: str | None = None,
    execution_timeout_seconds: int | None = None,
    callback_key: str | None = None,
) -> ExecutionRecord:
    """Start a durable execution: its EXECUTION operation, ``ExecutionStarted``, a first token.

    Args:
        arn: The execution's ARN (see ``execution_arn``).
        function_name: The function that runs it.
        input_payload: The user's input, as JSON text.
        now: The current time.
        name: The execution's name; by default the one its ARN carries.
        execution_timeout_seconds: End the execution TIMED_OUT after this long; None for never.
        callback_key: A random secret (``secrets.token_hex(16)`` from the caller: this module
            draws no randomness) that makes the execution's callback ids unguessable; None
            leaves them derived from the ARN alone, which only a test should want.

    Returns:
        The new record (not stored anywhere yet).
    """
    now = to_millis(now)
    record = ExecutionRecord(
        arn=arn,
        name=name or execution_name_from_arn(arn),
        function_name=function_name,
        input_payload=input_payload,
        execution_timeout_seconds=execution_timeout_seconds,
        checkpoint_token=checkpoint_token_for(arn, 0),
        callback_key=callback_key,
        start_timestamp=now,
    )
    execution = put_operation(
        record,
        Operation(
            Id=execution_operation_id(arn),
            Type=OperationType.EXECUTION,
            StartTimestamp=now,
            Status=OperationStatus.STARTED,
            ExecutionDetails=ExecutionDetails(InputPayload=input_payload),
        ),
    )
    details = ExecutionStartedDetails(
        Input=EventInput(Payload=input_payload, Truncated=False),
        ExecutionTimeout=execution_timeout_seconds,
    )
    add_event(record, EventType.EXECUTION_STARTED, now, details, execution)
    if execution_timeout_seconds:
        at = now + timedelta(seconds=execution_timeout_seconds)
        set_timer(record, TimerKind.EXECUTION_TIMEOUT, at, None)
    issue_token(record)
    return record


def has_pending_work(record: ExecutionRecord) -> bool:
    """Whether the running execution has something that will let it progress later.

    That is a wait, a step retry, a callback, a chained invoke, or a change the handler has
    not seen yet.
    """
    if record.status.is_terminal:
        return False
    if record.undelivered:
        return True
    return any(_is_pending(operation) for operation in record.operations.values())


def _is_pending(operation: Operation) -> bool:
    if operation.Type is OperationType.STEP:
        return operation.Status in (OperationStatus.PENDING, OperationStatus.READY)
    return operation.Type in (
        OperationType.WAIT,
        OperationType.CALLBACK,
        OperationType.CHAINED_INVOKE,
    ) and (operation.Status is OperationStatus.STARTED)


def needs_invocation(record: ExecutionRecord) -> bool:
    """Whether the handler should be invoked now.

    True while the execution runs and something changed that the handler has not seen: its
    start, a wait that ended, a retry that came due, a callback answer.
    """
    return not record.status.is_terminal and bool(record.undelivered)


def record_invocation(
    record: ExecutionRecord,
    started: datetime,
    ended: datetime,
    output: InvocationOutput | None,
    *,
    request_id: str | None = None,
    error: ErrorObject | None = None,
) -> None:
    """Record one completed invocation (``InvocationCompleted``) and act on its output.

    SUCCEEDED or FAILED ends the execution with the output's result or error, unless an
    EXECUTION update (or a stop, or a time-out) already ended it. An invalid output (SUCCEEDED
    with an error, FAILED with a result, PENDING with nothing pending) fails the execution.

    Args:
        record: The execution, changed in place.
        started: When the invocation started.
        ended: When it ended.
        output: What the handler returned; None when it crashed (the execution stays RUNNING
            and the orchestrator decides whether to retry).
        request_id: The invocation's request id; by default ``local-<n>`` for the n-th.
        error: The invocation's own error (a crash, a time-out), shown on the event.
    """
    ended = to_millis(ended)
    record.invocation_count += 1
    details = InvocationCompletedDetails(
        StartTimestamp=to_millis(started),
        EndTimestamp=ended,
        RequestId=request_id or f"local-{record.invocation_count}",
        Error=error_payload(error) if error is not None else None,
    )
    add_event(record, EventType.INVOCATION_COMPLETED, ended, details)
    if output is not None and not record.status.is_terminal:
        _settle(record, output, ended)


def _settle(record: ExecutionRecord, output: InvocationOutput, now: datetime) -> None:
    problem: str | None = None
    if output.Status is InvocationStatus.SUCCEEDED:
        if output.Error is None:
            end_execution(record, ExecutionStatus.SUCCEEDED, now, result=output.Result)
            return
        problem = "Cannot provide an Error for SUCCEEDED status."
    elif output.Status is InvocationStatus.FAILED:
        if output.Result is None:
            end_execution(record, ExecutionStatus.FAILED, now, error=output.Error)
            return
        problem = "Cannot provide a Result for FAILED status."
    elif not has_pending_work(record):
        problem = "Cannot return PENDING status with no pending operations."
    if problem is not None:
        invalid = ErrorObject(ErrorType=_INVALID_OUTPUT_ERROR_TYPE, ErrorMessage=problem)
        end_execution(record, ExecutionStatus.FAILED, now, error=invalid)


def stop_execution(
    record: ExecutionRecord, now: datetime, error: ErrorObject | None = None
) -> bool:
    """Stop a running execution (``StopDurableExecution``); it ends STOPPED.

    Args:
        record: The execution, changed in place.
        now: The current time.
        error: Why; by default "Execution stopped by user request".

    Returns:
        True if it was running; False if it had already ended (nothing changes).
    """
    if record.status.is_terminal:
        return False
    error = error or ErrorObject(ErrorMessage="Execution stopped by user request")
    end_execution(record, ExecutionStatus.STOPPED, to_millis(now), error=error)
    return True


class ExecutionDescription(WireModel):
    """An execution as ``GetDurableExecution`` describes it."""

    DurableExecutionArn: str
    DurableExecutionName: str
    FunctionArn: str
    InputPayload: str | None = None
    Result: str | None = None
    Error: ErrorObject | None = None
    StartTimestamp: Timestamp
    Status: ExecutionStatus
    EndTimestamp: Timestamp | None = None
    Version: str | None = None


def describe_execution(record: ExecutionRecord) -> ExecutionDescription:
    """Describe the execution as ``GetDurableExecution`` (with execution data) would."""
    function_arn = record.arn.split("/durable-execution/", 1)[0]
    return ExecutionDescription(
        DurableExecutionArn=record.arn,
        DurableExecutionName=record.name,
        FunctionArn=function_arn,
        InputPayload=record.input_payload,
        Result=record.result,
        Error=record.error,
        StartTimestamp=record.start_timestamp,
        Status=record.status,
        EndTimestamp=record.end_timestamp,
        Version=executed_version(function_arn),
    )
