"""How the service writes to a record: operation versions, history events, timers, the end.

Every change the service makes to an execution goes through these functions, so that the
handler is told of each new operation version (``put_operation`` marks it undelivered), history
records what happened, and a refused checkpoint can be undone (see ``rollback``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
    WireModel,
)
from durable_lambda.service.history import (
    EventError,
    EventResult,
    EventType,
    ExecutionFailedDetails,
    ExecutionStoppedDetails,
    ExecutionSucceededDetails,
    ExecutionTimedOutDetails,
)
from durable_lambda.service.model_changes import changed
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus, Timer, TimerKind

__all__ = [
    "add_event",
    "add_event_later",
    "end_execution",
    "error_payload",
    "put_operation",
    "result_payload",
    "set_timer",
    "timer_key",
]


def timer_key(kind: TimerKind, operation_id: str | None) -> str:
    """Return the key of a timer in ``ExecutionRecord.timers``."""
    return f"{kind.value}:{operation_id or ''}"


def set_timer(
    record: ExecutionRecord, kind: TimerKind, at: datetime, operation_id: str | None
) -> None:
    """Arm (or re-arm) the timer of ``kind`` for ``operation_id``."""
    record.timers[timer_key(kind, operation_id)] = Timer(At=at, Kind=kind, OperationId=operation_id)


def put_operation(record: ExecutionRecord, operation: Operation) -> Operation:
    """Store ``operation`` and remember that the handler has not seen this version yet.

    While a store tracks the change under way (``service.changes.ChangeTracker``), the write is
    noted for it too: the operations are the one part of a record it cannot compare cheaply.
    """
    record.operations[operation.Id] = operation
    record.undelivered[operation.Id] = None
    written = getattr(record, "_written", None)
    if written is not None:
        written[operation.Id] = None
    return operation


def result_payload(payload: str | None) -> EventResult:
    """Return a payload as history shows it with execution data included."""
    return EventResult(Payload=payload, Truncated=False)


def error_payload(error: ErrorObject | None) -> EventError:
    """Return an error as history shows it with execution data included."""
    return EventError(Payload=error, Truncated=False)


def add_event(
    record: ExecutionRecord,
    event_type: EventType,
    now: datetime,
    details: WireModel,
    operation: Operation | None = None,
) -> None:
    """Append one history event about ``operation`` (or about the invocation, when None).

    The event is recorded as what it is made of and validated when the history is first read
    (see ``event_log``); every argument is a frozen value.
    """
    record.history.record(event_type, now, operation, details)


def add_event_later(
    record: ExecutionRecord,
    event_type: EventType,
    now: datetime,
    operation: Operation | None,
    build: Callable[..., WireModel],
    *arguments: object,
) -> None:
    """Append one history event whose details ``build(*arguments)`` returns when it is read.

    As ``add_event``, for details that would otherwise be built for every update although
    most histories are never read; ``arguments`` must be frozen values.
    """
    record.history.record(event_type, now, operation, build, arguments)


_END_EVENTS = {
    ExecutionStatus.SUCCEEDED: EventType.EXECUTION_SUCCEEDED,
    ExecutionStatus.FAILED: EventType.EXECUTION_FAILED,
    ExecutionStatus.TIMED_OUT: EventType.EXECUTION_TIMED_OUT,
    ExecutionStatus.STOPPED: EventType.EXECUTION_STOPPED,
}


def end_execution(
    record: ExecutionRecord,
    status: ExecutionStatus,
    now: datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
) -> None:
    """End the execution: its status, its EXECUTION operation, its end event; disarm timers."""
    record.status = status
    record.result = result if status is ExecutionStatus.SUCCEEDED else None
    record.error = None if status is ExecutionStatus.SUCCEEDED else error
    record.end_timestamp = now
    record.timers.clear()
    execution_op = next(
        (op for op in record.operations.values() if op.Type is OperationType.EXECUTION), None
    )
    if execution_op is not None:
        execution_op = put_operation(
            record,
            changed(execution_op, Status=OperationStatus(status.value), EndTimestamp=now),
        )
    details: WireModel
    if status is ExecutionStatus.SUCCEEDED:
        details = ExecutionSucceededDetails(Result=result_payload(result))
    elif status is ExecutionStatus.FAILED:
        details = ExecutionFailedDetails(Error=error_payload(error))
    elif status is ExecutionStatus.TIMED_OUT:
        details = ExecutionTimedOutDetails(Error=error_payload(error))
    else:
        details = ExecutionStoppedDetails(Error=error_payload(error))
    add_event(record, _END_EVENTS[status], now, details, execution_op)
