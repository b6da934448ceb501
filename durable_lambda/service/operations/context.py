"""CONTEXT (a child context, a map or parallel branch): its rules, and what its updates do.

A context is started, then succeeds or fails with its result; ``ReplayChildren`` on either
update tells replay to re-run its children rather than read its stored result. A context that
starts and ends in one checkpoint (a map item) is stored closed at once (``start_closed``).
"""

from __future__ import annotations

from datetime import datetime

from durable_lambda.core.model import (
    ContextDetails,
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationUpdate,
)
from durable_lambda.service.history import (
    ContextFailedDetails,
    ContextStartedDetails,
    ContextSucceededDetails,
    EventType,
)
from durable_lambda.service.model_changes import changed
from durable_lambda.service.operations.creation import closed_operation, new_operation
from durable_lambda.service.operations.rules import OperationRules
from durable_lambda.service.record import ExecutionRecord
from durable_lambda.service.recording import (
    add_event,
    add_event_later,
    error_payload,
    put_operation,
    result_payload,
)

__all__ = ["RULES", "record_close", "start_closed"]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_START, _SUCCEED, _FAIL = OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL
_SUCCEEDED, _FAILED = OperationStatus.SUCCEEDED, OperationStatus.FAILED
_CONTEXT_STARTED, _CONTEXT_SUCCEEDED, _CONTEXT_FAILED = (
    EventType.CONTEXT_STARTED,
    EventType.CONTEXT_SUCCEEDED,
    EventType.CONTEXT_FAILED,
)

# Values every context shares. They are frozen, so one instance serves every record.
_CONTEXT_STARTED_DETAILS = ContextStartedDetails()
_CONTEXT_DETAILS = {flag: ContextDetails(ReplayChildren=flag) for flag in (None, False, True)}

# The model's validator, called without ``model_validate``'s keyword handling (see ``creation``).
_validate_context_details = ContextDetails.__pydantic_validator__.validate_python


def _apply(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    replay_children = update.ContextOptions.ReplayChildren if update.ContextOptions else None
    if update.Action is _START:
        context = put_operation(
            record,
            new_operation(update, now, "ContextDetails", _CONTEXT_DETAILS[replay_children]),
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


# What a closed context's event details are built from when the history is read.


def _context_succeeded(payload: str | None) -> ContextSucceededDetails:
    return ContextSucceededDetails(Result=result_payload(payload))


def _context_failed(error: ErrorObject | None) -> ContextFailedDetails:
    return ContextFailedDetails(Error=error_payload(error))


def start_closed(
    record: ExecutionRecord, start: OperationUpdate, close: OperationUpdate, now: datetime
) -> Operation:
    """Store the context ``start`` creates already closed by ``close``; record its START's event.

    See ``updates.start_closed``.
    """
    succeeded = close.Action is _SUCCEED
    result, error = (close.Payload, None) if succeeded else (None, close.Error)
    # As closing a started context does: the close's ReplayChildren, else the START's.
    replay = close.ContextOptions.ReplayChildren if close.ContextOptions else None
    if replay is None and start.ContextOptions is not None:
        replay = start.ContextOptions.ReplayChildren
    details = {"ReplayChildren": replay, "Result": result, "Error": error}
    operation = closed_operation(start, now, succeeded, "ContextDetails", details)
    put_operation(record, operation)
    add_event(record, _CONTEXT_STARTED, now, _CONTEXT_STARTED_DETAILS, operation)
    return operation


def record_close(
    record: ExecutionRecord, operation: Operation, close: OperationUpdate, now: datetime
) -> None:
    """Record the event of ``close``, which ``start_closed`` applied with its START."""
    if close.Action is _SUCCEED:
        add_event_later(
            record, _CONTEXT_SUCCEEDED, now, operation, _context_succeeded, close.Payload
        )
    else:
        add_event_later(record, _CONTEXT_FAILED, now, operation, _context_failed, close.Error)


RULES = OperationRules(actions=frozenset({_START, _SUCCEED, _FAIL}), apply=_apply)
"""The CONTEXT type's rules: a new operation starts, a STARTED one succeeds or fails."""
