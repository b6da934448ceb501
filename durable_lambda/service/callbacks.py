"""Callbacks: the ids the service hands out, and the answers from outside that complete them.

A CALLBACK START gets an id (``callback_id_for``) that routes an answer to its execution; the
answer comes through ``SendDurableExecutionCallback*`` and completes the callback, unless it
timed out, or its execution ended, first. Time-outs are the timers' (``timers``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.core.model import CallbackDetails, ErrorObject, Operation, OperationStatus
from durable_lambda.service.history import (
    CallbackFailedDetails,
    CallbackSucceededDetails,
    EventType,
)
from durable_lambda.service.record import (
    CallbackRegistration,
    ExecutionRecord,
    TimerKind,
    to_millis,
)
from durable_lambda.service.recording import (
    add_event,
    error_payload,
    put_operation,
    result_payload,
    set_timer,
)
from durable_lambda.service.timers import advance, disarm_callback

__all__ = [
    "CallbackClosedError",
    "UnknownCallbackError",
    "callback_id_for",
    "execution_arn_from_callback_id",
    "send_callback_failure",
    "send_callback_heartbeat",
    "send_callback_success",
]


class UnknownCallbackError(DurableExecutionError, LookupError):
    """No callback has this id (the service's ResourceNotFoundException).

    Args:
        message: What was looked up.
        callback_id: The id that was not found.
    """

    def __init__(self, message: str, *, callback_id: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.callback_id = callback_id


class CallbackClosedError(UnknownCallbackError):
    """The callback exists but can no longer be answered.

    It completed, timed out, or its execution ended (the service's CallbackTimeoutException).
    """


def callback_id_for(arn: str, operation_id: str, key: str | None = None) -> str:
    """Return the callback id of a CALLBACK operation.

    The id is ``<the ARN, URL-safe base64>.<tag>``: the ARN routes an answer to its execution
    without a global index, and the tag, a keyed BLAKE2b of the operation id under the
    execution's secret ``key`` (``ExecutionRecord.callback_key``), makes the id impossible to
    guess from what is public (the ARN, and operation ids, which are derived
    deterministically). An answer is accepted only for an id the execution handed out.

    Args:
        arn: The execution's ARN.
        operation_id: The CALLBACK operation's id.
        key: The execution's callback secret; None only for a record made before executions
            had one, whose ids stay the base64 of the ARN and the operation id (as they were).
    """
    if key is None:
        text = json.dumps([arn, operation_id], separators=(",", ":"))
        return base64.b64encode(text.encode()).decode("ascii")
    secret = hashlib.blake2b(key.encode(), digest_size=32).digest()
    tag = hashlib.blake2b(operation_id.encode(), key=secret, digest_size=16).digest()
    return f"{_url_safe(arn.encode())}.{_url_safe(tag)}"


def _url_safe(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def execution_arn_from_callback_id(callback_id: str) -> str:
    """Return the ARN of the execution a callback id names (both forms ``callback_id_for`` makes).

    Only the execution can say whether it handed the id out: this reads no record.

    Raises:
        UnknownCallbackError: The id is not of a form this service hands out.
    """
    head, dot, tag = callback_id.partition(".")
    arn: object = None
    try:
        if dot:
            padded = head + "=" * (-len(head) % 4)
            arn = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        else:
            arn, _ = json.loads(base64.b64decode(callback_id, validate=True))
    except (ValueError, TypeError) as error:  # binascii.Error and UnicodeError are ValueErrors
        raise UnknownCallbackError("no callback has this id", callback_id=callback_id) from error
    if not isinstance(arn, str) or not arn or (dot and not tag):
        raise UnknownCallbackError("no callback has this id", callback_id=callback_id)
    return arn


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
