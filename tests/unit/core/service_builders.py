"""Builders shared by the tests of the pure local service (``core/service*.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from durable_lambda.core.model import (
    CheckpointResponse,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.service import apply_checkpoint
from durable_lambda.core.store import ExecutionRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)
A = OperationAction
T = OperationType


def later(seconds: float) -> datetime:
    """The moment ``seconds`` after ``NOW``."""
    return NOW + timedelta(seconds=seconds)


def update(
    op_id: str, type_: OperationType, action: OperationAction, **fields: object
) -> OperationUpdate:
    """An update of ``op_id``, validated as the service would receive it."""
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


def checkpoint(
    record: ExecutionRecord, *updates: OperationUpdate, at: datetime = NOW
) -> CheckpointResponse:
    """Apply ``updates`` with the record's current token, at ``at``."""
    return apply_checkpoint(record, record.checkpoint_token, list(updates), at)
