"""What the outside world completes: callbacks and chained invokes.

Callbacks are answered through ``SendDurableExecutionCallback*``; a chained invoke completes
with its target function's outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    CallbackDetails,
    ChainedInvokeDetails,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.service_support import (
    add_event,
    error_payload,
    put_operation,
    result_payload,
    set_timer,
    to_millis,
)
from durable_lambda.core.service_timers import advance, disarm_callback
from durable_lambda.service.callbacks import CallbackClosedError, UnknownCallbackError
from durable_lambda.service.history import (
    CallbackFailedDetails,
    CallbackSucceededDetails,
    ChainedInvokeFailedDetails,
    ChainedInvokeStartedDetails,
    ChainedInvokeStoppedDetails,
    ChainedInvokeSucceededDetails,
    ChainedInvokeTimedOutDetails,
    EventType,
)
from durable_lambda.service.record import (
    CallbackRegistration,
    ChainedInvokeRequest,
    ExecutionRecord,
    TimerKind,
)

__all__ = [
    "attach_chained_invoke_execution",
    "complete_chained_invoke",
    "pending_chained_invokes",
    "send_callback_failure",
    "send_callback_heartbeat",
    "send_callback_success",
]


def _open_callback(
    record: ExecutionRecord, callback_id: str, now: datetime
) -> tuple[CallbackRegistration, Operation]:
    """Return the callback ``callback_id`` if it can still be answered at ``now``."""
    # Time-outs due by now fire first, so an answer that comes too late is refused.
    advance(record, now)
    registration = record.callbacks.get(callback_id)
    if registration is None:
        raise UnknownCallbackError(
            "no callback has this id", callback_id=callback_id, execution_arn=record.arn
        )
    operation = record.operations[registration.OperationId]
    if operation.Status is not OperationStatus.STARTED or record.status.is_terminal:
        state = record.status.value if record.status.is_terminal else operation.Status.value
        raise CallbackClosedError(
            f"the callback can no longer be answered ({state})",
            callback_id=callback_id,
            execution_arn=record.arn,
            operation_id=operation.Id,
            operation_name=operation.Name,
        )
    return registration, operation


def _close_callback(
    record: ExecutionRecord,
    operation: Operation,
    now: datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
) -> Operation:
    disarm_callback(record, operation.Id)
    failed = error is not None
    details = (operation.CallbackDetails or CallbackDetails()).model_copy(
        update={"Result": result, "Error": error}
    )
    return put_operation(
        record,
        operation.model_copy(
            update={
                "Status": OperationStatus.FAILED if failed else OperationStatus.SUCCEEDED,
                "EndTimestamp": now,
                "CallbackDetails": details,
            }
        ),
    )


def send_callback_success(
    record: ExecutionRecord, callback_id: str, payload: str | None, now: datetime
) -> Operation:
    """Complete a callback successfully (``SendDurableExecutionCallbackSuccess``).

    Args:
        record: The callback's execution, changed in place.
        callback_id: The id the CALLBACK START handed out.
        payload: The result, as the text the handler will deserialize.
        now: The current time.

    Returns:
        The callback operation, SUCCEEDED.

    Raises:
        UnknownCallbackError: No callback has this id.
        CallbackClosedError: The callback completed, timed out, or its execution ended.
    """
    now = to_millis(now)
    _, operation = _open_callback(record, callback_id, now)
    callback = _close_callback(record, operation, now, result=payload)
    details = CallbackSucceededDetails(Result=result_payload(payload))
    add_event(record, EventType.CALLBACK_SUCCEEDED, now, details, callback)
    return callback


def send_callback_failure(
    record: ExecutionRecord, callback_id: str, error: ErrorObject | None, now: datetime
) -> Operation:
    """Fail a callback (``SendDurableExecutionCallbackFailure``).

    Args:
        record: The callback's execution, changed in place.
        callback_id: The id the CALLBACK START handed out.
        error: Why it failed; None stores an empty error.
        now: The current time.

    Returns:
        The callback operation, FAILED.

    Raises:
        UnknownCallbackError: No callback has this id.
        CallbackClosedError: The callback completed, timed out, or its execution ended.
    """
    now = to_millis(now)
    _, operation = _open_callback(record, callback_id, now)
    error = error or ErrorObject()
    callback = _close_callback(record, operation, now, error=error)
    details = CallbackFailedDetails(Error=error_payload(error))
    add_event(record, EventType.CALLBACK_FAILED, now, details, callback)
    return callback


def send_callback_heartbeat(record: ExecutionRecord, callback_id: str, now: datetime) -> Operation:
    """Restart a callback's heartbeat time-out (``SendDurableExecutionCallbackHeartbeat``).

    Records no history event, as the service records none.

    Args:
        record: The callback's execution, changed in place.
        callback_id: The id the CALLBACK START handed out.
        now: The current time.

    Returns:
        The callback operation, still STARTED.

    Raises:
        UnknownCallbackError: No callback has this id.
        CallbackClosedError: The callback completed, timed out, or its execution ended.
    """
    now = to_millis(now)
    registration, operation = _open_callback(record, callback_id, now)
    if registration.HeartbeatTimeoutSeconds > 0:
        at = now + timedelta(seconds=registration.HeartbeatTimeoutSeconds)
        set_timer(record, TimerKind.CALLBACK_HEARTBEAT, at, operation.Id)
    return operation


def pending_chained_invokes(record: ExecutionRecord) -> list[ChainedInvokeRequest]:
    """Return the chained invokes whose target has not finished yet, in the order they started."""
    if record.status.is_terminal:
        return []
    return [
        request
        for request in record.chained_invokes.values()
        if record.operations[request.OperationId].Status is OperationStatus.STARTED
    ]


def _started_invoke(record: ExecutionRecord, operation_id: str) -> Operation:
    operation = record.operations.get(operation_id)
    if operation is None or operation.Type is not OperationType.CHAINED_INVOKE:
        raise ValidationError(
            "no CHAINED_INVOKE operation has this id",
            execution_arn=record.arn,
            operation_id=operation_id,
        )
    if operation.Status is not OperationStatus.STARTED or record.status.is_terminal:
        raise ValidationError(
            f"the chained invoke is no longer running ({operation.Status.value})",
            execution_arn=record.arn,
            operation_id=operation_id,
            operation_name=operation.Name,
        )
    return operation


def attach_chained_invoke_execution(
    record: ExecutionRecord, operation_id: str, child_execution_arn: str
) -> None:
    """Record the durable execution an orchestrator started for a chained invoke's target.

    The ARN shows in the ``ChainedInvokeStarted`` event, as the service reports it.

    Raises:
        ValidationError: No running chained invoke has this id.
    """
    _started_invoke(record, operation_id)
    request = record.chained_invokes[operation_id]
    record.chained_invokes[operation_id] = request.model_copy(
        update={"DurableExecutionArn": child_execution_arn}
    )
    for index in range(len(record.history) - 1, -1, -1):
        event = record.history[index]
        if event.EventType is EventType.CHAINED_INVOKE_STARTED and event.Id == operation_id:
            details = event.ChainedInvokeStartedDetails or ChainedInvokeStartedDetails()
            linked = details.model_copy(update={"DurableExecutionArn": child_execution_arn})
            record.history[index] = event.model_copy(update={"ChainedInvokeStartedDetails": linked})
            return


_INVOKE_OUTCOMES = {
    OperationStatus.SUCCEEDED: EventType.CHAINED_INVOKE_SUCCEEDED,
    OperationStatus.FAILED: EventType.CHAINED_INVOKE_FAILED,
    OperationStatus.TIMED_OUT: EventType.CHAINED_INVOKE_TIMED_OUT,
    OperationStatus.STOPPED: EventType.CHAINED_INVOKE_STOPPED,
}


def complete_chained_invoke(
    record: ExecutionRecord,
    operation_id: str,
    status: OperationStatus,
    now: datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
) -> Operation:
    """Complete a chained invoke with its target's outcome.

    Args:
        record: The calling execution, changed in place.
        operation_id: The CHAINED_INVOKE operation.
        status: SUCCEEDED, FAILED, TIMED_OUT or STOPPED.
        now: The current time.
        result: The target's result (SUCCEEDED only).
        error: The target's error (the other statuses).

    Returns:
        The completed operation.

    Raises:
        ValidationError: Not a running chained invoke, a status that does not end one, or an
            error given with SUCCEEDED.
    """
    now = to_millis(now)
    operation = _started_invoke(record, operation_id)
    event_type = _INVOKE_OUTCOMES.get(status)
    if event_type is None:
        raise ValidationError(f"{status.value} does not end a chained invoke", field="status")
    if status is OperationStatus.SUCCEEDED and error is not None:
        raise ValidationError("a SUCCEEDED chained invoke carries no error", field="error")
    succeeded = status is OperationStatus.SUCCEEDED
    invoke = put_operation(
        record,
        operation.model_copy(
            update={
                "Status": status,
                "EndTimestamp": now,
                "ChainedInvokeDetails": ChainedInvokeDetails(
                    Result=result if succeeded else None, Error=None if succeeded else error
                ),
            }
        ),
    )
    details = _invoke_details(status, result, error)
    add_event(record, event_type, now, details, invoke)
    return invoke


def _invoke_details(
    status: OperationStatus, result: str | None, error: ErrorObject | None
) -> (
    ChainedInvokeSucceededDetails
    | ChainedInvokeFailedDetails
    | ChainedInvokeTimedOutDetails
    | ChainedInvokeStoppedDetails
):
    if status is OperationStatus.SUCCEEDED:
        return ChainedInvokeSucceededDetails(Result=result_payload(result))
    if status is OperationStatus.FAILED:
        return ChainedInvokeFailedDetails(Error=error_payload(error))
    if status is OperationStatus.TIMED_OUT:
        return ChainedInvokeTimedOutDetails(Error=error_payload(error))
    return ChainedInvokeStoppedDetails(Error=error_payload(error))
