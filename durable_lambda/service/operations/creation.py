"""The operation an update creates: STARTED by a START, or closed at once with its close.

Shared by the operation types; each gives the field of its details and their value.
"""

from __future__ import annotations

from datetime import datetime

from durable_lambda.core.model import Operation, OperationStatus, OperationUpdate

__all__ = ["closed_operation", "new_operation"]

_STARTED, _SUCCEEDED, _FAILED = (
    OperationStatus.STARTED,
    OperationStatus.SUCCEEDED,
    OperationStatus.FAILED,
)

# The model's validator, called without ``model_validate``'s keyword handling: the same
# validation, about 0.2 µs less per call (the service builds one or two models per update).
_validate_operation = Operation.__pydantic_validator__.validate_python


def new_operation(
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


def closed_operation(
    start: OperationUpdate, now: datetime, succeeded: bool, details_field: str, details: object
) -> Operation:
    """Return the operation ``start`` creates, already SUCCEEDED or FAILED at ``now``.

    For a START whose close comes later in the same checkpoint (see ``updates.start_closed``).
    """
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
            details_field: details,  # a STEP's first attempt, or a CONTEXT, ended
        }
    )
    return operation
