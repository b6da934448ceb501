"""The rules every operation type shares, and the shape of one type's rules (``OperationRules``).

They follow the official local emulator's validators (``checkpoint/validators``), with one
deliberate tightening: an update other than START for an operation that does not exist is
refused (the emulator creates the operation; the SDKs never send such an update). Each refusal
is a ``CheckpointError`` (not retriable) naming the update's position, type, action and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import NamedTuple, NoReturn

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord

__all__ = [
    "MAX_CHAINED_INVOKE_PAYLOAD_BYTES",
    "MAX_ERROR_BYTES",
    "MAX_OPERATION_PAYLOAD_BYTES",
    "SURELY_SMALL",
    "Apply",
    "ChangeCheck",
    "OperationRules",
    "StartCheck",
    "check_close",
    "check_identity",
    "check_new",
    "check_outcome",
    "check_parent",
    "check_sizes",
    "refuse",
    "refuse_status",
    "same_identity",
]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_SUCCEED, _FAIL = OperationAction.SUCCEED, OperationAction.FAIL
_CONTEXT, _EXECUTION, _CHAINED_INVOKE = (
    OperationType.CONTEXT,
    OperationType.EXECUTION,
    OperationType.CHAINED_INVOKE,
)
_CAN_CLOSE = frozenset({OperationStatus.STARTED})

MAX_ERROR_BYTES = 32_768
"""The largest error object (as JSON) an update may carry."""
MAX_OPERATION_PAYLOAD_BYTES = 256 * 1024
"""The largest payload one operation may store."""
MAX_CHAINED_INVOKE_PAYLOAD_BYTES = 1_048_576
"""The largest input a chained invoke may send its target."""

SURELY_SMALL = min(MAX_OPERATION_PAYLOAD_BYTES, MAX_CHAINED_INVOKE_PAYLOAD_BYTES) // 4
"""A payload of at most this many characters is within every payload limit (UTF-8 takes at most
4 bytes a character), so its size need not be measured."""

StartCheck = Callable[[ExecutionRecord, int, OperationUpdate, Operation | None], None]
"""Checks a START (the operation as it stands, if it exists), raising ``CheckpointError``."""
ChangeCheck = Callable[[ExecutionRecord, int, OperationUpdate, Operation], None]
"""Checks any other action on an existing operation, raising ``CheckpointError``."""
Apply = Callable[[ExecutionRecord, OperationUpdate, Operation | None, datetime], None]
"""Applies an update the checks accepted, at the service's time."""


def refuse(record: ExecutionRecord, index: int, update: OperationUpdate, reason: str) -> NoReturn:
    """Raise the ``CheckpointError`` that refuses update number ``index`` for ``reason``."""
    raise CheckpointError(
        f"update #{index} ({update.Type.value} {update.Action.value}) refused: {reason}",
        retriable=False,
        execution_arn=record.arn,
        operation_id=update.Id,
        operation_name=update.Name,
    )


def check_new(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation | None
) -> None:
    """Refuse a START of an operation that exists already (the rule of every type but STEP)."""
    if current is not None:
        refuse(record, index, update, f"the operation exists already ({current.Status.value})")


def check_close(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    """Check a SUCCEED or FAIL of a STARTED operation: only a STARTED one closes."""
    if current.Status not in _CAN_CLOSE:
        refuse_status(record, index, update, current)
    check_outcome(record, index, update)


def refuse_status(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> NoReturn:
    """Refuse an action the operation's status does not allow."""
    refuse(
        record,
        index,
        update,
        f"cannot {update.Action.value} a {current.Status.value} {update.Type.value}",
    )


class OperationRules(NamedTuple):
    """What the service does with the updates of one operation type.

    Attributes:
        actions: The actions an update of this type may carry.
        apply: Applies an update the checks accepted.
        check_start: Checks a START (by default: the operation must not exist yet).
        check_change: Checks any other action on an existing operation (by default: a SUCCEED
            or FAIL of a STARTED operation).
    """

    actions: frozenset[OperationAction]
    apply: Apply
    check_start: StartCheck = check_new
    check_change: ChangeCheck = check_close


def check_sizes(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    """Refuse an error or a payload larger than the service stores."""
    if update.Error is not None:
        size = len(json.dumps(update.Error.to_wire()).encode())
        if size > MAX_ERROR_BYTES:
            refuse(record, index, update, f"the error is {size} bytes; at most {MAX_ERROR_BYTES}")
    if update.Payload is None or update.Type is _EXECUTION:
        return
    # ASCII text is one byte a character; only other text needs encoding to be measured.
    payload = update.Payload
    size = len(payload) if payload.isascii() else len(payload.encode())
    limit = (
        MAX_CHAINED_INVOKE_PAYLOAD_BYTES
        if update.Type is _CHAINED_INVOKE
        else MAX_OPERATION_PAYLOAD_BYTES
    )
    if size > limit:
        refuse(record, index, update, f"the payload is {size} bytes; at most {limit}")


def check_outcome(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    """Refuse a SUCCEED that carries an error, or a FAIL that carries a payload."""
    if update.Action is _SUCCEED and update.Error is not None:
        refuse(record, index, update, "SUCCEED cannot carry an Error")
    if update.Action is _FAIL and update.Payload is not None:
        refuse(record, index, update, "FAIL cannot carry a Payload")


def check_parent(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    """Refuse a parent that does not exist or is not a CONTEXT."""
    if update.ParentId is None:
        return
    parent = record.operations.get(update.ParentId)
    if parent is None:
        refuse(record, index, update, f"parent {update.ParentId} does not exist")
    elif parent.Type is not _CONTEXT:
        refuse(
            record,
            index,
            update,
            f"parent {update.ParentId} is a {parent.Type.value}, not a CONTEXT",
        )


def check_identity(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    """Refuse an update whose type, subtype, name or parent differs from the stored operation's."""
    if same_identity(update, current):  # the usual case; the loop words the first difference
        return
    for field in ("Type", "SubType", "Name", "ParentId"):
        sent = getattr(update, field)
        stored = getattr(current, field)
        if sent is not None and sent != stored:
            refuse(
                record,
                index,
                update,
                f"{field} {_shown(sent)} differs from the stored {_shown(stored)}",
            )


def same_identity(update: OperationUpdate, recorded: Operation | OperationUpdate) -> bool:
    """Whether ``update`` names the operation ``recorded`` describes.

    The type must match; subtype, name and parent must match where ``update`` gives them (an
    update may leave them out). Tested field by field, without getattr: it runs per update.
    """
    return (
        update.Type is recorded.Type
        and (update.SubType is None or update.SubType == recorded.SubType)
        and (update.Name is None or update.Name == recorded.Name)
        and (update.ParentId is None or update.ParentId == recorded.ParentId)
    )


def _shown(value: object) -> str:
    return repr(value.value if isinstance(value, Enum) else value)
