"""One update of a checkpoint: checked by the rules of its operation type, then applied.

``check_update`` runs the rules every type shares (the action suits the type, the sizes, the
parent, the identity of an existing operation) and the type's own (``OperationRules`` in the
module of each type); ``apply_update`` hands an accepted update to its type. A STEP or CONTEXT
that starts and closes in one checkpoint is built closed at once (``closes_at_once``,
``start_closed``, ``record_close``).
"""

from __future__ import annotations

from datetime import datetime

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.operations import (
    callback,
    chained_invoke,
    context,
    execution,
    step,
    wait,
)
from durable_lambda.service.operations.rules import (
    SURELY_SMALL,
    OperationRules,
    check_identity,
    check_outcome,
    check_parent,
    check_sizes,
    refuse,
    same_identity,
)
from durable_lambda.service.record import ExecutionRecord

__all__ = [
    "RULES",
    "apply_update",
    "check_update",
    "closes_at_once",
    "record_close",
    "start_closed",
]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns, and
# the code below runs for every update the local service applies.
_START, _SUCCEED, _FAIL = OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL
_EXECUTION, _CONTEXT, _STEP = OperationType.EXECUTION, OperationType.CONTEXT, OperationType.STEP

RULES: dict[OperationType, OperationRules] = {
    OperationType.STEP: step.RULES,
    OperationType.CONTEXT: context.RULES,
    OperationType.WAIT: wait.RULES,
    OperationType.CALLBACK: callback.RULES,
    OperationType.CHAINED_INVOKE: chained_invoke.RULES,
    OperationType.EXECUTION: execution.RULES,
}
"""Each operation type's rules; a new type is a module with its ``RULES`` and a line here."""

_START_CLOSED = {_STEP: step.start_closed, _CONTEXT: context.start_closed}
_RECORD_CLOSE = {_STEP: step.record_close, _CONTEXT: context.record_close}


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
    rules = RULES[kind]
    if update.Action not in rules.actions:
        refuse(record, index, update, f"{kind.value} does not accept {update.Action.value}")
    payload = update.Payload
    if update.Error is not None or (payload is not None and len(payload) > SURELY_SMALL):
        check_sizes(record, index, update)
    if kind is _EXECUTION:
        check_outcome(record, index, update)
        return None
    operations = record.operations
    current = operations.get(update.Id)
    parent_id = update.ParentId
    if parent_id is not None:
        parent = operations.get(parent_id)
        if parent is None or parent.Type is not _CONTEXT:
            check_parent(record, index, update)
    if current is not None:
        check_identity(record, index, update, current)
    if update.Action is _START:
        rules.check_start(record, index, update, current)
    elif current is None:
        refuse(record, index, update, f"no {kind.value} operation has id {update.Id}")
    else:
        rules.check_change(record, index, update, current)
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
        or not same_identity(close, start)
    ):
        return False
    # What is left of check_update's rules (the action suits the type, the parent was checked
    # with the START, and a STARTED operation may close): the outcome suits the action, and
    # the sizes. A close that breaks one is refused in its turn, after whatever comes before it.
    payload = close.Payload
    try:
        check_outcome(record, index, close)
        if close.Error is not None or (payload is not None and len(payload) > SURELY_SMALL):
            check_sizes(record, index, close)
    except CheckpointError:
        return False
    return True


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
    RULES[update.Type].apply(record, update, current, now)


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
    return _START_CLOSED[start.Type](record, start, close, now)


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
    _RECORD_CLOSE[operation.Type](record, operation, close, now)
