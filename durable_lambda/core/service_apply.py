"""What the service does with one valid update: the operation's new state, timers, history.

``apply_update`` assumes ``service_validation.check_update`` accepted the update.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from durable_lambda.core.model import (
    CallbackDetails,
    ChainedInvokeDetails,
    ContextDetails,
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepDetails,
    WaitDetails,
    WireModel,
)
from durable_lambda.core.service_models import changed
from durable_lambda.core.service_support import (
    add_event,
    add_event_later,
    callback_id_for,
    end_execution,
    error_payload,
    put_operation,
    result_payload,
    set_timer,
    timer_key,
)
from durable_lambda.service.history import (
    CallbackStartedDetails,
    ChainedInvokeStartedDetails,
    ContextFailedDetails,
    ContextStartedDetails,
    ContextSucceededDetails,
    EventInput,
    EventType,
    RetryDetails,
    StepFailedDetails,
    StepStartedDetails,
    StepSucceededDetails,
    WaitCancelledDetails,
    WaitStartedDetails,
)
from durable_lambda.service.record import (
    CallbackRegistration,
    ChainedInvokeRequest,
    ExecutionRecord,
    ExecutionStatus,
    TimerKind,
)

__all__ = ["apply_update", "executed_version", "record_close", "start_closed"]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_START, _SUCCEED, _RETRY = (
    OperationAction.START,
    OperationAction.SUCCEED,
    OperationAction.RETRY,
)
_STEP = OperationType.STEP
_STARTED, _SUCCEEDED, _FAILED = (
    OperationStatus.STARTED,
    OperationStatus.SUCCEEDED,
    OperationStatus.FAILED,
)
(
    _STEP_STARTED,
    _STEP_SUCCEEDED,
    _STEP_FAILED,
    _CONTEXT_STARTED,
    _CONTEXT_SUCCEEDED,
    _CONTEXT_FAILED,
) = (
    EventType.STEP_STARTED,
    EventType.STEP_SUCCEEDED,
    EventType.STEP_FAILED,
    EventType.CONTEXT_STARTED,
    EventType.CONTEXT_SUCCEEDED,
    EventType.CONTEXT_FAILED,
)

_VERSION = re.compile(r"\$LATEST(\.PUBLISHED)?|[0-9]+")

_Handler = Callable[[ExecutionRecord, OperationUpdate, Operation | None, datetime], None]

# Values every step or context shares. They are frozen, so one instance serves every record
# (building one costs about as much as the rest of a small update's bookkeeping).
_FIRST_ATTEMPT = StepDetails(Attempt=0)
_STEP_STARTED_DETAILS = StepStartedDetails()
_CONTEXT_STARTED_DETAILS = ContextStartedDetails()
_NO_STEP_DETAILS = StepDetails()
_CONTEXT_DETAILS = {flag: ContextDetails(ReplayChildren=flag) for flag in (None, False, True)}
_RETRY_DETAILS = tuple(RetryDetails(CurrentAttempt=attempt) for attempt in range(16))


def _retry_details(attempt: int) -> RetryDetails:
    """Return ``RetryDetails(CurrentAttempt=attempt)``, shared for the usual attempt counts."""
    if 0 <= attempt < len(_RETRY_DETAILS):
        return _RETRY_DETAILS[attempt]
    return RetryDetails(CurrentAttempt=attempt)


def apply_update(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    """Apply one validated update to ``record`` at ``now``.

    Args:
        record: The execution, changed in place.
        update: An update ``check_update`` accepted.
        current: What ``check_update`` returned: the operation as it stands, if it exists.
        now: The service's time, whole milliseconds.
    """
    _HANDLERS[update.Type](record, update, current, now)


# The models' validators, called without ``model_validate``'s keyword handling: the same
# validation, about 0.2 µs less per call (the service builds one or two models per update).
_validate_operation = Operation.__pydantic_validator__.validate_python
_validate_step_details = StepDetails.__pydantic_validator__.validate_python
_validate_context_details = ContextDetails.__pydantic_validator__.validate_python


def _new_operation(
    update: OperationUpdate, now: datetime, details_field: str, details: object
) -> Operation:
    """Return the STARTED operation ``update`` creates at ``now``, with its details.

    The fields are spelt out rather than taken as keyword arguments, whose merging cost about
    a third as much as the validation.
    """
    operation: Operation = _validate_operation(
        {
            "Id": update.Id,
            "ParentId": update.ParentId,
            "Name": update.Name,
            "Type": update.Type,
            "SubType": update.SubType,
            "StartTimestamp": now,
            "Status": _STARTED,
            details_field: details,
        }
    )
    return operation


def start_closed(
    record: ExecutionRecord, start: OperationUpdate, close: OperationUpdate, now: datetime
) -> Operation:
    """Apply a STEP or CONTEXT START whose SUCCEED or FAIL comes later in the same checkpoint.

    The operation is stored closed at once, and the START's event recorded; ``record_close``
    records the closing event in the close's turn. Together they leave what ``apply_update``
    leaves applying the two in turn (the same operation, set fields included, the same
    events, the same change for the handler), without building the STARTED version of the
    operation, which nothing would see.

    Args:
        record: The execution, changed in place.
        start: A START ``check_update`` accepted, for an operation that did not exist.
        close: Its closing update, which ``closes_at_once`` accepted.
        now: The service's time, whole milliseconds.

    Returns:
        The closed operation.
    """
    succeeded = close.Action is _SUCCEED
    result, error = (close.Payload, None) if succeeded else (None, close.Error)
    event_details: WireModel
    if start.Type is _STEP:
        kind, details = "StepDetails", {"Attempt": 1, "Result": result, "Error": error}
        event, event_details = _STEP_STARTED, _STEP_STARTED_DETAILS
    else:
        # As closing a started context does: the close's ReplayChildren, else the START's.
        replay = close.ContextOptions.ReplayChildren if close.ContextOptions else None
        if replay is None and start.ContextOptions is not None:
            replay = start.ContextOptions.ReplayChildren
        kind, details = (
            "ContextDetails",
            {"ReplayChildren": replay, "Result": result, "Error": error},
        )
        event, event_details = _CONTEXT_STARTED, _CONTEXT_STARTED_DETAILS
    operation: Operation = _validate_operation(
        {
            "Id": start.Id,
            "ParentId": start.ParentId,
            "Name": start.Name,
            "Type": start.Type,
            "SubType": start.SubType,
            "StartTimestamp": now,
            "EndTimestamp": now,
            "Status": _SUCCEEDED if succeeded else _FAILED,
            kind: details,  # a STEP's first attempt, or a CONTEXT, ended
        }
    )
    put_operation(record, operation)
    add_event(record, event, now, event_details, operation)
    return operation


def record_close(
    record: ExecutionRecord, operation: Operation, close: OperationUpdate, now: datetime
) -> None:
    """Record the event of ``close``, which ``start_closed`` applied with its START.

    Args:
        record: The execution, changed in place.
        operation: What ``start_closed`` returned.
        close: The closing update.
        now: The service's time, whole milliseconds.
    """
    succeeded = close.Action is _SUCCEED
    if operation.Type is _STEP:
        if succeeded:
            add_event_later(
                record, _STEP_SUCCEEDED, now, operation, _step_succeeded, close.Payload, 1
            )
        else:
            add_event_later(record, _STEP_FAILED, now, operation, _step_failed, close.Error, 1)
    elif succeeded:
        add_event_later(
            record, _CONTEXT_SUCCEEDED, now, operation, _context_succeeded, close.Payload
        )
    else:
        add_event_later(record, _CONTEXT_FAILED, now, operation, _context_failed, close.Error)


def _apply_step(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if update.Action is _START:
        _start_step(record, update, current, now)
        return
    assert current is not None  # check_update refuses closing an unknown step
    details = current.StepDetails or _NO_STEP_DETAILS
    attempt = (details.Attempt or 0) + 1
    if update.Action is _RETRY:
        _retry_step(record, update, current, attempt, now)
        return
    succeeded = update.Action is _SUCCEED
    step = put_operation(
        record,
        changed(
            current,
            Status=_SUCCEEDED if succeeded else _FAILED,
            EndTimestamp=now,
            StepDetails=_validate_step_details(
                {
                    "Attempt": attempt,
                    "Result": update.Payload if succeeded else None,
                    "Error": None if succeeded else update.Error,
                }
            ),
        ),
    )
    if succeeded:
        add_event_later(
            record, _STEP_SUCCEEDED, now, step, _step_succeeded, update.Payload, attempt
        )
    else:
        add_event_later(record, _STEP_FAILED, now, step, _step_failed, update.Error, attempt)


# What a closed step's or context's event details are built from when the history is read.


def _step_succeeded(payload: str | None, attempt: int) -> StepSucceededDetails:
    return StepSucceededDetails(
        Result=result_payload(payload), RetryDetails=_retry_details(attempt)
    )


def _step_failed(error: ErrorObject | None, attempt: int) -> StepFailedDetails:
    return StepFailedDetails(Error=error_payload(error), RetryDetails=_retry_details(attempt))


def _context_succeeded(payload: str | None) -> ContextSucceededDetails:
    return ContextSucceededDetails(Result=result_payload(payload))


def _context_failed(error: ErrorObject | None) -> ContextFailedDetails:
    return ContextFailedDetails(Error=error_payload(error))


def _start_step(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if current is None:
        step = _new_operation(update, now, "StepDetails", _FIRST_ATTEMPT)
    else:
        # A READY step starts its next attempt. The last poll's state stays readable as the
        # Result, so a wait_for_condition interrupted mid-check resumes from it.
        details = current.StepDetails or _NO_STEP_DETAILS
        step = changed(
            current,
            Status=_STARTED,
            StepDetails=StepDetails(Attempt=details.Attempt or 0, Result=details.Result),
        )
    put_operation(record, step)
    add_event(record, _STEP_STARTED, now, _STEP_STARTED_DETAILS, step)


def _retry_step(
    record: ExecutionRecord,
    update: OperationUpdate,
    current: Operation,
    attempt: int,
    now: datetime,
) -> None:
    options = update.StepOptions
    delay = (options.NextAttemptDelaySeconds if options else None) or 0
    next_attempt = now + timedelta(seconds=delay)
    step = put_operation(
        record,
        changed(
            current,
            Status=OperationStatus.PENDING,
            StepDetails=StepDetails(
                Attempt=attempt,
                NextAttemptTimestamp=next_attempt,
                Result=update.Payload,
                Error=update.Error,
            ),
        ),
    )
    set_timer(record, TimerKind.RETRY, next_attempt, step.Id)
    retry = RetryDetails(CurrentAttempt=attempt, NextAttemptDelaySeconds=delay)
    if update.Error is not None:
        failed = StepFailedDetails(Error=error_payload(update.Error), RetryDetails=retry)
        add_event(record, _STEP_FAILED, now, failed, step)
        return
    # A RETRY without an error is a wait_for_condition poll that asks to go on: the service
    # records it as a successful attempt carrying the new state.
    polled = StepSucceededDetails(Result=result_payload(update.Payload), RetryDetails=retry)
    add_event(record, _STEP_SUCCEEDED, now, polled, step)


def _apply_wait(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if update.Action is _START:
        seconds = update.WaitOptions.WaitSeconds if update.WaitOptions else None
        end = now + timedelta(seconds=seconds or 0)
        wait = put_operation(
            record,
            _new_operation(update, now, "WaitDetails", WaitDetails(ScheduledEndTimestamp=end)),
        )
        set_timer(record, TimerKind.WAIT, end, wait.Id)
        details = WaitStartedDetails(Duration=seconds or 0, ScheduledEndTimestamp=end)
        add_event(record, EventType.WAIT_STARTED, now, details, wait)
        return
    assert current is not None  # check_update refuses cancelling an unknown wait
    record.timers.pop(timer_key(TimerKind.WAIT, current.Id), None)
    wait = put_operation(
        record, changed(current, Status=OperationStatus.CANCELLED, EndTimestamp=now)
    )
    error = error_payload(update.Error) if update.Error is not None else None
    add_event(record, EventType.WAIT_CANCELLED, now, WaitCancelledDetails(Error=error), wait)


def _apply_callback(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    callback_id = callback_id_for(record.arn, update.Id, record.callback_key)
    options = update.CallbackOptions
    timeout = (options.TimeoutSeconds if options else None) or 0
    heartbeat = (options.HeartbeatTimeoutSeconds if options else None) or 0
    callback = put_operation(
        record,
        _new_operation(update, now, "CallbackDetails", CallbackDetails(CallbackId=callback_id)),
    )
    record.callbacks[callback_id] = CallbackRegistration(
        OperationId=update.Id, TimeoutSeconds=timeout, HeartbeatTimeoutSeconds=heartbeat
    )
    if timeout > 0:
        set_timer(record, TimerKind.CALLBACK_TIMEOUT, now + timedelta(seconds=timeout), update.Id)
    if heartbeat > 0:
        at = now + timedelta(seconds=heartbeat)
        set_timer(record, TimerKind.CALLBACK_HEARTBEAT, at, update.Id)
    details = CallbackStartedDetails(
        CallbackId=callback_id,
        Timeout=options.TimeoutSeconds if options else None,
        HeartbeatTimeout=options.HeartbeatTimeoutSeconds if options else None,
    )
    add_event(record, EventType.CALLBACK_STARTED, now, details, callback)


def _apply_context(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    replay_children = update.ContextOptions.ReplayChildren if update.ContextOptions else None
    if update.Action is _START:
        context = put_operation(
            record,
            _new_operation(update, now, "ContextDetails", _CONTEXT_DETAILS[replay_children]),
        )
        add_event(record, _CONTEXT_STARTED, now, _CONTEXT_STARTED_DETAILS, context)
        return
    assert current is not None  # check_update refuses closing an unknown context
    if replay_children is None and current.ContextDetails is not None:
        replay_children = current.ContextDetails.ReplayChildren
    succeeded = update.Action is _SUCCEED
    context = put_operation(
        record,
        changed(
            current,
            Status=_SUCCEEDED if succeeded else _FAILED,
            EndTimestamp=now,
            ContextDetails=_validate_context_details(
                {
                    "ReplayChildren": replay_children,
                    "Result": update.Payload if succeeded else None,
                    "Error": None if succeeded else update.Error,
                }
            ),
        ),
    )
    if succeeded:
        add_event_later(
            record, _CONTEXT_SUCCEEDED, now, context, _context_succeeded, update.Payload
        )
    else:
        add_event_later(record, _CONTEXT_FAILED, now, context, _context_failed, update.Error)


def executed_version(function_name: str) -> str:
    """Return the version a chained invoke runs: the qualifier it names, else ``$LATEST``."""
    body = function_name.split(":function:", 1)[-1]
    _, _, qualifier = body.partition(":")
    return qualifier if _VERSION.fullmatch(qualifier) else "$LATEST"


def _apply_invoke(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    options = update.ChainedInvokeOptions
    assert options is not None  # check_update refuses a START without options
    invoke = put_operation(
        record,
        _new_operation(update, now, "ChainedInvokeDetails", ChainedInvokeDetails()),
    )
    record.chained_invokes[update.Id] = ChainedInvokeRequest(
        OperationId=update.Id,
        FunctionName=options.FunctionName,
        TenantId=options.TenantId,
        Payload=update.Payload,
    )
    details = ChainedInvokeStartedDetails(
        FunctionName=options.FunctionName,
        TenantId=options.TenantId,
        Input=EventInput(Payload=update.Payload, Truncated=False)
        if update.Payload is not None
        else None,
        ExecutedVersion=executed_version(options.FunctionName),
    )
    add_event(record, EventType.CHAINED_INVOKE_STARTED, now, details, invoke)


def _apply_execution(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if update.Action is _SUCCEED:
        end_execution(record, ExecutionStatus.SUCCEEDED, now, result=update.Payload)
    else:
        end_execution(record, ExecutionStatus.FAILED, now, error=update.Error)


_HANDLERS: dict[OperationType, _Handler] = {
    OperationType.STEP: _apply_step,
    OperationType.WAIT: _apply_wait,
    OperationType.CALLBACK: _apply_callback,
    OperationType.CONTEXT: _apply_context,
    OperationType.CHAINED_INVOKE: _apply_invoke,
    OperationType.EXECUTION: _apply_execution,
}
