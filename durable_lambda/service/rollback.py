"""Undoing a refused checkpoint without copying the whole execution record first.

A checkpoint is all-or-nothing: when its fifth update is refused, the four before it must leave
no trace. Copying the record before applying (the obvious way) costs time in proportion to
everything the execution ever did, on every checkpoint, which makes a long execution's
checkpoints quadratic in total. A ``Rollback`` saves only what a checkpoint can change:

* history: a checkpoint only appends events, so the length is enough;
* operations: a checkpoint writes only the operations its updates name, the operations its due
  timers name, and the EXECUTION operation (always through ``put_operation``, which marks them
  undelivered); their previous versions are saved, and absent ones are removed again;
* every other container (timers, undelivered changes, callbacks, chained invokes) is copied:
  they hold open work, not the whole past;
* every other field (status, token, result...) is a value and is saved as it is.

``restore`` checks that every operation written since was saved, so a future change that writes
another operation fails loudly in the tests instead of leaving a half-applied checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import get_origin

from durable_lambda.core.model import Operation, OperationType
from durable_lambda.service.record import ExecutionRecord

__all__ = ["Rollback"]

_SPECIAL = frozenset({"operations", "history"})
# Which fields are copied and which are kept as they are, decided once from the annotations.
_COPIED = tuple(
    name
    for name, field in ExecutionRecord.model_fields.items()
    if name not in _SPECIAL and get_origin(field.annotation) in (dict, list)
)
_KEPT = tuple(
    name for name in ExecutionRecord.model_fields if name not in _SPECIAL and name not in _COPIED
)
_kept_values = itemgetter(*_KEPT)  # a tuple of the values: _KEPT names several fields
_EXECUTION = OperationType.EXECUTION


class Rollback:
    """What a checkpoint may change in ``record``, saved so that ``restore`` can undo it.

    Args:
        record: The execution, about to be changed in place.
        operation_ids: Ids of the operations the checkpoint's updates name.

    Example:
        >>> rollback = Rollback(record, (update.Id for update in updates))  # doctest: +SKIP
        >>> try:
        ...     apply(record, updates)
        ... except BaseException:
        ...     rollback.restore(record)
        ...     raise
    """

    __slots__ = ("_containers", "_history_length", "_operations", "_values")

    def __init__(self, record: ExecutionRecord, operation_ids: Iterable[str]) -> None:
        fields = vars(record)  # a pydantic model keeps its field values in its __dict__
        self._history_length = len(record.history)
        self._values = _kept_values(fields)
        self._containers = [fields[name].copy() for name in _COPIED]
        operations = record.operations
        ids = set(operation_ids)
        if record.timers:
            ids.update(timer.OperationId for timer in record.timers.values() if timer.OperationId)
        ids.update(record.undelivered)  # written since the last delivery: may be written again
        execution = _execution_operation(record)
        if execution is not None:
            ids.add(execution.Id)
        self._operations: dict[str, Operation | None] = {
            operation_id: operations.get(operation_id) for operation_id in ids
        }

    def restore(self, record: ExecutionRecord) -> None:
        """Put ``record`` back as it was when this rollback was made.

        Raises:
            RuntimeError: An operation that was not saved was written meanwhile (a bug in the
                service: the rollback would be incomplete).
        """
        unsaved = [op_id for op_id in record.undelivered if op_id not in self._operations]
        operations = record.operations
        for operation_id, previous in self._operations.items():
            if previous is None:
                operations.pop(operation_id, None)
            else:
                operations[operation_id] = previous
        record.history.truncate(self._history_length)
        for name, saved in zip(_COPIED, self._containers, strict=True):
            setattr(record, name, saved)
        for name, value in zip(_KEPT, self._values, strict=True):
            setattr(record, name, value)
        if unsaved:
            raise RuntimeError(
                f"internal error: a refused checkpoint wrote operations {unsaved} that the "
                "rollback did not save; the record may be inconsistent"
            )


def _execution_operation(record: ExecutionRecord) -> Operation | None:
    # The EXECUTION operation is stored first, so this stops at once.
    first = next(iter(record.operations.values()), None)
    if first is None or first.Type is _EXECUTION:
        return first
    return next((op for op in record.operations.values() if op.Type is _EXECUTION), None)
