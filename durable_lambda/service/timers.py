"""What the service does on its own as time passes: waits end, retries come due, time-outs fire."""

from __future__ import annotations

from datetime import datetime

from durable_lambda.core.model import (
    CallbackDetails,
    ErrorObject,
    OperationStatus,
    StepDetails,
)
from durable_lambda.service.history import CallbackTimedOutDetails, EventType, WaitSucceededDetails
from durable_lambda.service.record import (
    ExecutionRecord,
    ExecutionStatus,
    Timer,
    TimerKind,
    to_millis,
)
from durable_lambda.service.recording import (
    add_event,
    end_execution,
    error_payload,
    put_operation,
    timer_key,
)

__all__ = [
    "CALLBACK_HEARTBEAT_ERROR_TYPE",
    "CALLBACK_TIMEOUT_ERROR_TYPE",
    "advance",
    "disarm_callback",
    "next_due",
    "pending_timers",
]

CALLBACK_TIMEOUT_ERROR_TYPE = "Callback.Timeout"
"""``ErrorType`` of a callback that was not answered within its time-out."""
CALLBACK_HEARTBEAT_ERROR_TYPE = "Callback.Heartbeat"
"""``ErrorType`` of a callback that missed its heartbeat time-out."""


def pending_timers(record: ExecutionRecord) -> list[Timer]:
    """Return the execution's armed timers, earliest first (none once it has ended).

    ``Timer.Kind.is_deadline`` tells time-outs (which the outside world may still beat) from
    timers that only wait for time to pass.
    """
    if record.status.is_terminal:
        return []
    return sorted(record.timers.values(), key=lambda timer: timer.At)


def next_due(record: ExecutionRecord, *, include_deadlines: bool = True) -> datetime | None:
    """Return when the next timer fires, or None if no timer is armed.

    Args:
        record: The execution.
        include_deadlines: False to look only at waits, retries and other timers that nobody
            but time can complete; a test runner that skips time uses this so that it never
            jumps past a callback's time-out while the test may still answer the callback.

    Returns:
        The earliest matching moment, or None.
    """
    for timer in pending_timers(record):
        if include_deadlines or not timer.Kind.is_deadline:
            return timer.At
    return None


def advance(record: ExecutionRecord, now: datetime) -> bool:
    """Fire every timer due at ``now``, earliest first.

    A wait whose end has come succeeds; a PENDING step whose next attempt is due goes READY;
    a callback past its time-out or heartbeat time-out times out; an execution past its own
    time-out ends TIMED_OUT.

    Args:
        record: The execution, changed in place.
        now: The current time.

    Returns:
        Whether anything changed.
    """
    if not record.timers:
        return False  # nothing armed (most checkpoints): nothing to sort
    now = to_millis(now)
    changed = False
    for timer in pending_timers(record):
        if timer.At > now or record.status.is_terminal:
            break
        if record.timers.pop(timer_key(timer.Kind, timer.OperationId), None) is None:
            continue  # disarmed by an earlier timer of this round
        changed = _fire(record, timer, now) or changed
    return changed


def _fire(record: ExecutionRecord, timer: Timer, now: datetime) -> bool:
    if timer.Kind is TimerKind.EXECUTION_TIMEOUT:
        message = f"Execution timed out after {record.execution_timeout_seconds} seconds."
        end_execution(
            record, ExecutionStatus.TIMED_OUT, now, error=ErrorObject(ErrorMessage=message)
        )
        return True
    operation = record.operations.get(timer.OperationId or "")
    if operation is None:
        return False
    if timer.Kind is TimerKind.WAIT and operation.Status is OperationStatus.STARTED:
        wait = put_operation(
            record,
            operation.model_copy(update={"Status": OperationStatus.SUCCEEDED, "EndTimestamp": now}),
        )
        end = wait.WaitDetails.ScheduledEndTimestamp if wait.WaitDetails else None
        duration = round((end - wait.StartTimestamp).total_seconds()) if end else None
        add_event(
            record, EventType.WAIT_SUCCEEDED, now, WaitSucceededDetails(Duration=duration), wait
        )
        return True
    if timer.Kind is TimerKind.RETRY and operation.Status is OperationStatus.PENDING:
        details = operation.StepDetails or StepDetails()
        ready = details.model_copy(update={"NextAttemptTimestamp": None})
        put_operation(
            record,
            operation.model_copy(update={"Status": OperationStatus.READY, "StepDetails": ready}),
        )
        return True
    if timer.Kind.is_deadline and operation.Status is OperationStatus.STARTED:
        _time_out_callback(record, timer, now)
        return True
    return False


def _time_out_callback(record: ExecutionRecord, timer: Timer, now: datetime) -> None:
    operation = record.operations[timer.OperationId or ""]
    if timer.Kind is TimerKind.CALLBACK_HEARTBEAT:
        error = ErrorObject(
            ErrorType=CALLBACK_HEARTBEAT_ERROR_TYPE, ErrorMessage="Callback timed out on heartbeat"
        )
    else:
        error = ErrorObject(
            ErrorType=CALLBACK_TIMEOUT_ERROR_TYPE, ErrorMessage="Callback timed out"
        )
    disarm_callback(record, operation.Id)
    details = operation.CallbackDetails or CallbackDetails()
    callback = put_operation(
        record,
        operation.model_copy(
            update={
                "Status": OperationStatus.TIMED_OUT,
                "EndTimestamp": now,
                "CallbackDetails": details.model_copy(update={"Error": error}),
            }
        ),
    )
    add_event(
        record,
        EventType.CALLBACK_TIMED_OUT,
        now,
        CallbackTimedOutDetails(Error=error_payload(error)),
        callback,
    )


def disarm_callback(record: ExecutionRecord, operation_id: str) -> None:
    """Cancel both time-outs of a callback that completed."""
    record.timers.pop(timer_key(TimerKind.CALLBACK_TIMEOUT, operation_id), None)
    record.timers.pop(timer_key(TimerKind.CALLBACK_HEARTBEAT, operation_id), None)
