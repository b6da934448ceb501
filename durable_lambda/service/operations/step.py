"""STEP: its rules, and what each update does (start, restart, retry, succeed, fail).

A step's attempts are START then SUCCEED, FAIL or RETRY; a RETRY leaves it PENDING until its
next attempt is due (a timer makes it READY), and a READY step starts its next attempt. A step
that starts and ends in one checkpoint is stored closed at once (``start_closed``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationUpdate,
    StepDetails,
)
from durable_lambda.service.history import (
    EventType,
    RetryDetails,
    StepFailedDetails,
    StepStartedDetails,
    StepSucceededDetails,
)
from durable_lambda.service.model_changes import changed
from durable_lambda.service.operations.creation import closed_operation, new_operation
from durable_lambda.service.operations.rules import (
    OperationRules,
    check_outcome,
    refuse,
    refuse_status,
)
from durable_lambda.service.record import ExecutionRecord, TimerKind
from durable_lambda.service.recording import (
    add_event,
    add_event_later,
    error_payload,
    put_operation,
    result_payload,
    set_timer,
)

__all__ = ["RULES", "record_close", "start_closed"]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_START, _SUCCEED, _FAIL, _RETRY = (
    OperationAction.START,
    OperationAction.SUCCEED,
    OperationAction.FAIL,
    OperationAction.RETRY,
)
_STARTED, _READY, _SUCCEEDED, _FAILED = (
    OperationStatus.STARTED,
    OperationStatus.READY,
    OperationStatus.SUCCEEDED,
    OperationStatus.FAILED,
)
_STEP_STARTED, _STEP_SUCCEEDED, _STEP_FAILED = (
    EventType.STEP_STARTED,
    EventType.STEP_SUCCEEDED,
    EventType.STEP_FAILED,
)
_CAN_START = frozenset({_READY})
_CAN_CLOSE = frozenset({_STARTED, _READY})

# Values every step shares. They are frozen, so one instance serves every record (building one
# costs about as much as the rest of a small update's bookkeeping).
_FIRST_ATTEMPT = StepDetails(Attempt=0)
_STEP_STARTED_DETAILS = StepStartedDetails()
_NO_STEP_DETAILS = StepDetails()
_RETRY_DETAILS = tuple(RetryDetails(CurrentAttempt=attempt) for attempt in range(16))

# The model's validator, called without ``model_validate``'s keyword handling (see ``creation``).
_validate_step_details = StepDetails.__pydantic_validator__.validate_python


def _retry_details(attempt: int) -> RetryDetails:
    """Return ``RetryDetails(CurrentAttempt=attempt)``, shared for the usual attempt counts."""
    if 0 <= attempt < len(_RETRY_DETAILS):
        return _RETRY_DETAILS[attempt]
    return RetryDetails(CurrentAttempt=attempt)


def _check_start(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation | None
) -> None:
    # A READY step (its retry came due) starts its next attempt; any other must be new.
    if current is not None and current.Status not in _CAN_START:
        refuse(record, index, update, f"the operation exists already ({current.Status.value})")


def _check_change(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    if current.Status not in _CAN_CLOSE:
        refuse_status(record, index, update, current)
    if update.Action is _RETRY:
        if update.StepOptions is None:
            refuse(record, index, update, "RETRY needs StepOptions")
        if update.Error is not None and update.Payload is not None:
            refuse(record, index, update, "RETRY carries an Error or a Payload, not both")
        return
    check_outcome(record, index, update)


def _apply(
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


# What a closed step's event details are built from when the history is read.


def _step_succeeded(payload: str | None, attempt: int) -> StepSucceededDetails:
    return StepSucceededDetails(
        Result=result_payload(payload), RetryDetails=_retry_details(attempt)
    )


def _step_failed(error: ErrorObject | None, attempt: int) -> StepFailedDetails:
    return StepFailedDetails(Error=error_payload(error), RetryDetails=_retry_details(attempt))


def _start_step(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if current is None:
        step = new_operation(update, now, "StepDetails", _FIRST_ATTEMPT)
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


def start_closed(
    record: ExecutionRecord, start: OperationUpdate, close: OperationUpdate, now: datetime
) -> Operation:
    """Store the step ``start`` creates already closed by ``close``; record its START's event.

    See ``updates.start_closed``: its first attempt, ended.
    """
    succeeded = close.Action is _SUCCEED
    result, error = (close.Payload, None) if succeeded else (None, close.Error)
    details = {"Attempt": 1, "Result": result, "Error": error}
    operation = closed_operation(start, now, succeeded, "StepDetails", details)
    put_operation(record, operation)
    add_event(record, _STEP_STARTED, now, _STEP_STARTED_DETAILS, operation)
    return operation


def record_close(
    record: ExecutionRecord, operation: Operation, close: OperationUpdate, now: datetime
) -> None:
    """Record the event of ``close``, which ``start_closed`` applied with its START."""
    if close.Action is _SUCCEED:
        add_event_later(record, _STEP_SUCCEEDED, now, operation, _step_succeeded, close.Payload, 1)
    else:
        add_event_later(record, _STEP_FAILED, now, operation, _step_failed, close.Error, 1)


RULES = OperationRules(
    actions=frozenset({_START, _SUCCEED, _FAIL, _RETRY}),
    apply=_apply,
    check_start=_check_start,
    check_change=_check_change,
)
"""The STEP type's rules."""
