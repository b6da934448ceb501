"""Builders shared by the tests of the pure local service (``durable_lambda.service``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from durable_lambda.core.model import (
    CheckpointResponse,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service import apply_checkpoint, state_page
from durable_lambda.service.record import ExecutionRecord

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


class CoreBackedLambdaClient:
    """A boto3 ``lambda`` client for the official SDK, answered by ``durable_lambda.service``.

    The two durable calls the official SDK makes, with boto3's request and response shapes, so
    that handlers written for it run against an ``ExecutionRecord`` of ours.

    Args:
        record: The execution the calls change.
        now: The service's time for each checkpoint.
    """

    def __init__(self, record: ExecutionRecord, now: Callable[[], datetime]) -> None:
        self.record = record
        self.now = now
        self._lock = threading.Lock()  # the official SDK checkpoints from several threads

    def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
        """``CheckpointDurableExecution``: apply the updates, answer with the new state."""
        updates = [OperationUpdate.model_validate(u) for u in request["Updates"]]
        with self._lock:
            response = apply_checkpoint(
                self.record,
                request["CheckpointToken"],
                updates,
                self.now(),
                request.get("ClientToken"),
            )
        return response.model_dump(exclude_none=True)

    def get_durable_execution_state(self, **request: Any) -> dict[str, Any]:
        """``GetDurableExecutionState``: one page of operations."""
        with self._lock:
            page = state_page(
                self.record, request["Marker"], request["MaxItems"], request["CheckpointToken"]
            )
        return page.model_dump(exclude_none=True)
