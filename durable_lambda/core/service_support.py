"""Building blocks shared by the local service's modules: time, ids, tokens, history, outcomes.

Nothing here is public API; ``durable_lambda.core.service`` re-exports what callers need.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
    WireModel,
)
from durable_lambda.core.service_models import changed
from durable_lambda.service.callbacks import UnknownCallbackError
from durable_lambda.service.history import (
    EventError,
    EventResult,
    EventType,
    ExecutionFailedDetails,
    ExecutionStoppedDetails,
    ExecutionSucceededDetails,
    ExecutionTimedOutDetails,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus, Timer, TimerKind

__all__ = [
    "add_event",
    "add_event_later",
    "callback_id_for",
    "checkpoint_token_for",
    "end_execution",
    "error_payload",
    "execution_arn",
    "execution_arn_from_callback_id",
    "execution_name_from_arn",
    "execution_operation_id",
    "issue_token",
    "put_operation",
    "result_payload",
    "set_timer",
    "timer_key",
    "to_millis",
    "token_was_issued",
]

_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def to_millis(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, cut to whole milliseconds (the service's precision).

    Every time the service stores passes through here, so records round-trip through JSON
    (epoch milliseconds) exactly.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def execution_arn(
    function_name: str,
    execution_name: str,
    execution_id: str,
    *,
    region: str = "us-east-1",
    account_id: str = "000000000000",
    qualifier: str = "$LATEST",
) -> str:
    """Return a durable execution ARN in the service's format.

    Characters the ARN pattern does not allow (``.``, ``:``, ``/`` in a local handler path)
    become ``-``.

    Example:
        >>> execution_arn("orders", "run-1", "abc")
        'arn:aws:lambda:us-east-1:000000000000:function:orders:$LATEST/durable-execution/run-1/abc'
    """
    function = _safe(function_name)
    name = _safe(execution_name)[:64]
    return (
        f"arn:aws:lambda:{region}:{account_id}:function:{function}:{qualifier}"
        f"/durable-execution/{name}/{_safe(execution_id)}"
    )


def _safe(text: str) -> str:
    return _UNSAFE_NAME_CHARS.sub("-", text).strip("-") or "x"


def execution_name_from_arn(arn: str) -> str:
    """Return the execution name an ARN carries (its last-but-one segment), else the ARN."""
    parts = arn.split("/")
    if len(parts) >= 3 and parts[-3].endswith("durable-execution"):
        return parts[-2]
    return arn


def execution_operation_id(arn: str) -> str:
    """Return the id of an execution's EXECUTION operation.

    That is the ARN's last segment if it is a valid operation id, else a digest of the ARN.
    """
    last = arn.rsplit("/", 1)[-1]
    if _ID_PATTERN.fullmatch(last):
        return last
    return hashlib.blake2b(arn.encode(), digest_size=16).hexdigest()


def checkpoint_token_for(arn: str, sequence: int) -> str:
    """Return the checkpoint token number ``sequence`` of execution ``arn``: opaque base64."""
    return base64.b64encode(f"{sequence}:{arn}".encode()).decode("ascii")


def token_was_issued(record: ExecutionRecord, token: str) -> bool:
    """Whether ``token`` is one of the checkpoint tokens issued for this execution so far."""
    try:
        sequence, _, arn = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return arn == record.arn and sequence.isdigit() and int(sequence) <= record.token_sequence


def issue_token(record: ExecutionRecord) -> str:
    """Issue the next checkpoint token; every earlier one becomes stale."""
    record.token_sequence += 1
    record.checkpoint_token = checkpoint_token_for(record.arn, record.token_sequence)
    return record.checkpoint_token


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


def timer_key(kind: TimerKind, operation_id: str | None) -> str:
    """Return the key of a timer in ``ExecutionRecord.timers``."""
    return f"{kind.value}:{operation_id or ''}"


def set_timer(
    record: ExecutionRecord, kind: TimerKind, at: datetime, operation_id: str | None
) -> None:
    """Arm (or re-arm) the timer of ``kind`` for ``operation_id``."""
    record.timers[timer_key(kind, operation_id)] = Timer(At=at, Kind=kind, OperationId=operation_id)


def put_operation(record: ExecutionRecord, operation: Operation) -> Operation:
    """Store ``operation`` and remember that the handler has not seen this version yet."""
    record.operations[operation.Id] = operation
    record.undelivered[operation.Id] = None
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
    (see ``history_log``); every argument is a frozen value.
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
