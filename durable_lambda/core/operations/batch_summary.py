"""The summary a map or parallel stores instead of a result too large for one checkpoint.

The parent CONTEXT is then stored with ``ReplayChildren`` and this small JSON summary
(``summary_envelope``); replay rebuilds the result from the children, and the summary's
completion decision (``CompletionRecord``) makes the rebuilt result equal the original. The
official SDK writes and reads the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from durable_lambda.core.completion import BatchItemStatus, CompletionReason

if TYPE_CHECKING:
    from durable_lambda.core.operations.batch_result import BatchResult

__all__ = ["CompletionRecord", "summary_envelope"]


class CompletionRecord(BaseModel):
    """The completion decision stored in a too-large result's summary, read back on replay.

    Branches start in index order, so the started ones are ``range(started_total)``; of those,
    ``started_indexes`` had not finished when the batch completed.

    Attributes:
        completion_reason: The reason the batch stopped.
        started_total: How many branches were started.
        started_indexes: Which of them were still running.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    completion_reason: CompletionReason
    started_total: int
    started_indexes: frozenset[int]

    @classmethod
    def from_summary(cls, payload: str | None) -> CompletionRecord | None:
        """Parse a summary written by ``summary_envelope``; None when it carries no record."""
        try:
            data = json.loads(payload or "")
            total = data["totalCount"]
            reason = CompletionReason(data["completionReason"])
        except (ValueError, TypeError, KeyError):
            return None
        if not _is_count(total):
            return None
        started = _indexes(data.get("startedIndexes"), total)
        if started is None:
            completed = _indexes(data.get("completedIndexes"), total)
            if completed is None:
                return None
            started = frozenset(range(total)) - completed
        return cls(completion_reason=reason, started_total=total, started_indexes=started)


def summary_envelope(
    result: BatchResult[Any],
    result_type: str,
    summary_generator: Callable[[Any], str] | None,
) -> str:
    """Return the summary stored instead of a result too large to checkpoint.

    It is plain JSON, whatever the serializer: the completion record replay needs, counts for a
    reader of the history, and what ``summary_generator`` (if any) returns under ``summary``.
    The official SDK writes and reads the same fields.

    Args:
        result: The full result.
        result_type: ``MapResult`` or ``ParallelResult``.
        summary_generator: The user's summary of the result, or None.
    """
    started = [item.index for item in result.all if item.status is BatchItemStatus.STARTED]
    completed = [item.index for item in result.all if item.status is not BatchItemStatus.STARTED]
    # Whichever index list is shorter, so the summary stays small whatever the outcome.
    indexes = (
        {"startedIndexes": started}
        if len(started) <= len(completed)
        else {"completedIndexes": completed}
    )
    fields: dict[str, Any] = {
        "type": result_type,
        "totalCount": result.total_count,
        "completionReason": result.completion_reason.value,
        **indexes,
        "startedCount": result.started_count,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "status": result.status.value,
    }
    if summary_generator is not None:
        fields["summary"] = str(summary_generator(result))
    return json.dumps(fields)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _indexes(raw: object, total: int) -> frozenset[int] | None:
    if not isinstance(raw, list):
        return None
    if not all(_is_count(index) and index < total for index in raw):
        return None
    return frozenset(raw)
