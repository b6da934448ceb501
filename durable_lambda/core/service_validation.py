"""The rules the service checks a checkpoint's updates against before it applies any of them.

They follow the official local emulator's validators (``checkpoint/validators``), with one
deliberate tightening: an update other than START for an operation that does not exist is
refused (the emulator creates the operation; the SDKs never send such an update).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import Enum

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
    "check_batch",
    "check_update",
    "closes_at_once",
]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_START, _SUCCEED, _FAIL, _RETRY, _CANCEL = (
    OperationAction.START,
    OperationAction.SUCCEED,
    OperationAction.FAIL,
    OperationAction.RETRY,
    OperationAction.CANCEL,
)
_EXECUTION, _CONTEXT, _STEP, _WAIT, _CALLBACK, _CHAINED_INVOKE = (
    OperationType.EXECUTION,
    OperationType.CONTEXT,
    OperationType.STEP,
    OperationType.WAIT,
    OperationType.CALLBACK,
    OperationType.CHAINED_INVOKE,
)
_STARTED, _READY = (
    OperationStatus.STARTED,
    OperationStatus.READY,
)

MAX_ERROR_BYTES = 32_768
"""The largest error object (as JSON) an update may carry."""
MAX_OPERATION_PAYLOAD_BYTES = 256 * 1024
"""The largest payload one operation may store."""
MAX_CHAINED_INVOKE_PAYLOAD_BYTES = 1_048_576
"""The largest input a chained invoke may send its target."""

# A payload of at most this many characters is within every payload limit (UTF-8 takes at
# most 4 bytes a character), so its size need not be measured.
_SURELY_SMALL = min(MAX_OPERATION_PAYLOAD_BYTES, MAX_CHAINED_INVOKE_PAYLOAD_BYTES) // 4

VALID_ACTIONS: dict[OperationType, frozenset[OperationAction]] = {
    _STEP: frozenset(
        {
            _START,
            _SUCCEED,
            _FAIL,
            _RETRY,
        }
    ),
    _CONTEXT: frozenset({_START, _SUCCEED, _FAIL}),
    _WAIT: frozenset({_START, _CANCEL}),
    _CALLBACK: frozenset({_START}),
    _CHAINED_INVOKE: frozenset({_START}),
    _EXECUTION: frozenset({_SUCCEED, _FAIL}),
}

_CAN_START_STEP = frozenset({_READY})
_CAN_CLOSE_STEP = frozenset({_STARTED, _READY})
_CAN_CLOSE_OTHER = frozenset({_STARTED})
_TENANT_ID = re.compile(r"[a-zA-Z0-9._:/=+\-@ ]{1,256}")
_FUNCTION_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)


def _refuse(record: ExecutionRecord, index: int, update: OperationUpdate, reason: str) -> None:
    raise CheckpointError(
        f"update #{index} ({update.Type.value} {update.Action.value}) refused: {reason}",
        retriable=False,
        execution_arn=record.arn,
        operation_id=update.Id,
        operation_name=update.Name,
    )


def check_batch(record: ExecutionRecord, updates: Sequence[OperationUpdate]) -> dict[int, int]:
    """Check the rules that concern the batch as a whole.

    Returns:
        Where a STEP or CONTEXT START is followed by a second update of the same operation (its
        close, if that is valid): the START's position, and the second update's.

    Raises:
        CheckpointError: (not retriable) two EXECUTION updates, an EXECUTION update that is not
            last, or the same operation updated twice (only a STEP or CONTEXT START may be
            followed by one closing update in the same batch).
    """
    executions = [i for i, u in enumerate(updates) if u.Type is _EXECUTION]
    if len(executions) > 1:
        _refuse(record, executions[1], updates[executions[1]], "only one EXECUTION update per call")
    if executions and executions[0] != len(updates) - 1:
        _refuse(record, executions[0], updates[executions[0]], "EXECUTION must be the last update")
    last_seen: dict[str, int] = {}
    closed_later: dict[int, int] = {}
    for index, update in enumerate(updates):
        seen = last_seen.get(update.Id)
        if seen is not None:
            previous = updates[seen]
            if not (
                previous.Type in (_STEP, _CONTEXT)
                and previous.Action is _START
                and update.Action is not _START
            ):
                _refuse(record, index, update, "the same operation is updated twice in one call")
            closed_later[seen] = index
        last_seen[update.Id] = index
    return closed_later


def check_update(record: ExecutionRecord, index: int, update: OperationUpdate) -> Operation | None:
    """Check one update against the execution as the updates before it left it.

    Returns:
        The operation the update is about as it stands (None if it does not exist yet, and
        for an EXECUTION update).

    Raises:
        CheckpointError: (not retriable) the update is not valid now; the message says why.
    """
    # The rules in the order they are reported; each helper returns at once when its rule
    # holds and words it when not. This runs for every update the local service applies, so
    # the usual cases of the size and parent rules are tested here, without calling a helper.
    kind = update.Type
    if update.Action not in VALID_ACTIONS[kind]:
        _refuse(record, index, update, f"{kind.value} does not accept {update.Action.value}")
    payload = update.Payload
    if update.Error is not None or (payload is not None and len(payload) > _SURELY_SMALL):
        _check_sizes(record, index, update)
    if kind is _EXECUTION:
        _check_outcome(record, index, update)
        return None
    operations = record.operations
    current = operations.get(update.Id)
    parent_id = update.ParentId
    if parent_id is not None:
        parent = operations.get(parent_id)
        if parent is None or parent.Type is not _CONTEXT:
            _check_parent(record, index, update)
    if current is not None:
        _check_identity(record, index, update, current)
    if update.Action is _START:
        _check_start(record, index, update, current)
    elif current is None:
        _refuse(record, index, update, f"no {kind.value} operation has id {update.Id}")
    else:
        _check_transition(record, index, update, current)
    return current


def closes_at_once(
    record: ExecutionRecord, index: int, start: OperationUpdate, close: OperationUpdate
) -> bool:
    """Whether ``close``, later in the batch, validly ends the STEP or CONTEXT ``start`` creates.

    For the common pair of one checkpoint (a step, or a map item, that started and finished
    between two calls), so that the service can apply both at once. ``start`` must be a START
    that ``check_update`` accepted for an operation that did not exist, and ``close`` the only
    other update of that operation in the batch (``check_batch`` allows no more). Whatever
    comes between them cannot change whether ``close`` is valid: nothing else may update the
    operation, its parent was checked with the START, and parents are never removed.

    Args:
        record: The execution.
        index: ``close``'s position in the checkpoint.
        start: The START.
        close: The later update of the same operation.

    Returns:
        True when ``close`` is a SUCCEED or FAIL that ``check_update`` would accept once
        ``start`` is applied; False when it is anything else, valid or not (it is to be
        checked and applied on its own, in its turn).
    """
    if (
        (start.Type is not _STEP and start.Type is not _CONTEXT)
        or (close.Action is not _SUCCEED and close.Action is not _FAIL)
        or not _same_identity(close, start)
    ):
        return False
    # What is left of check_update's rules (the action suits the type, the parent was checked
    # with the START, and a STARTED operation may close): the outcome suits the action, and
    # the sizes. A close that breaks one is refused in its turn, after whatever comes before it.
    payload = close.Payload
    try:
        _check_outcome(record, index, close)
        if close.Error is not None or (payload is not None and len(payload) > _SURELY_SMALL):
            _check_sizes(record, index, close)
    except CheckpointError:
        return False
    return True


def _check_sizes(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    if update.Error is not None:
        size = len(json.dumps(update.Error.to_wire()).encode())
        if size > MAX_ERROR_BYTES:
            _refuse(record, index, update, f"the error is {size} bytes; at most {MAX_ERROR_BYTES}")
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
        _refuse(record, index, update, f"the payload is {size} bytes; at most {limit}")


def _check_outcome(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    if update.Action is _SUCCEED and update.Error is not None:
        _refuse(record, index, update, "SUCCEED cannot carry an Error")
    if update.Action is _FAIL and update.Payload is not None:
        _refuse(record, index, update, "FAIL cannot carry a Payload")


def _check_parent(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    if update.ParentId is None:
        return
    parent = record.operations.get(update.ParentId)
    if parent is None:
        _refuse(record, index, update, f"parent {update.ParentId} does not exist")
    elif parent.Type is not _CONTEXT:
        _refuse(
            record,
            index,
            update,
            f"parent {update.ParentId} is a {parent.Type.value}, not a CONTEXT",
        )


def _check_identity(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    if _same_identity(update, current):  # the usual case; the loop words the first difference
        return
    for field in ("Type", "SubType", "Name", "ParentId"):
        sent = getattr(update, field)
        stored = getattr(current, field)
        if sent is not None and sent != stored:
            _refuse(
                record,
                index,
                update,
                f"{field} {_shown(sent)} differs from the stored {_shown(stored)}",
            )


def _same_identity(update: OperationUpdate, recorded: Operation | OperationUpdate) -> bool:
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


def _check_start(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation | None
) -> None:
    if current is not None and not (update.Type is _STEP and current.Status in _CAN_START_STEP):
        _refuse(record, index, update, f"the operation exists already ({current.Status.value})")
    if update.Type is _WAIT and (
        update.WaitOptions is None or update.WaitOptions.WaitSeconds is None
    ):
        _refuse(record, index, update, "a WAIT START needs WaitOptions.WaitSeconds")
    if update.Type is _CHAINED_INVOKE:
        _check_invoke_options(record, index, update)


def _check_invoke_options(record: ExecutionRecord, index: int, update: OperationUpdate) -> None:
    options = update.ChainedInvokeOptions
    if options is None:
        _refuse(record, index, update, "a CHAINED_INVOKE START needs ChainedInvokeOptions")
        return
    if not _FUNCTION_NAME.fullmatch(options.FunctionName):
        _refuse(record, index, update, f"invalid function name {options.FunctionName!r}")
    if options.TenantId is not None and not _TENANT_ID.fullmatch(options.TenantId):
        _refuse(record, index, update, f"invalid TenantId {options.TenantId!r}")


def _check_transition(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    action = update.Action
    if action is _CANCEL:
        if current.Status is not _STARTED:
            _refuse(record, index, update, f"cannot cancel a {current.Status.value} WAIT")
        return
    allowed = _CAN_CLOSE_STEP if update.Type is _STEP else _CAN_CLOSE_OTHER
    if current.Status not in allowed:
        _refuse(
            record,
            index,
            update,
            f"cannot {action.value} a {current.Status.value} {update.Type.value}",
        )
    if action is _RETRY:
        if update.StepOptions is None:
            _refuse(record, index, update, "RETRY needs StepOptions")
        if update.Error is not None and update.Payload is not None:
            _refuse(record, index, update, "RETRY carries an Error or a Payload, not both")
        return
    _check_outcome(record, index, update)
