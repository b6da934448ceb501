"""EXECUTION: the update that ends the execution itself, with a result or an error.

Its only rules (besides the actions) are that the outcome suits the action, and, checked with
the whole checkpoint, that it comes last and alone (``checkpoint.check_batch``).
"""

from __future__ import annotations

from datetime import datetime

from durable_lambda.core.model import Operation, OperationAction, OperationUpdate
from durable_lambda.service.operations.rules import OperationRules
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus
from durable_lambda.service.recording import end_execution

__all__ = ["RULES"]


def _apply(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if update.Action is OperationAction.SUCCEED:
        end_execution(record, ExecutionStatus.SUCCEEDED, now, result=update.Payload)
    else:
        end_execution(record, ExecutionStatus.FAILED, now, error=update.Error)


RULES = OperationRules(
    actions=frozenset({OperationAction.SUCCEED, OperationAction.FAIL}), apply=_apply
)
"""The EXECUTION type's rules (``updates.check_update`` checks its outcome only)."""
