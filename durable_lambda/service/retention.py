"""Which executions a store may let go of: what ``durable-lambda delete`` and ``prune`` remove.

The Lambda service keeps an execution's history for its retention period after it ends, then
removes it. Locally nothing is removed until someone asks, and only an execution that has ended
is removed unless they insist (``force``): a running one may still be driven, answered or
resumed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.service.record import ExecutionStatus, ExecutionSummary

__all__ = ["may_remove", "older_than"]


def may_remove(status: ExecutionStatus, *, force: bool = False) -> bool:
    """Whether an execution in ``status`` may be removed: it has ended, or ``force`` says so."""
    return status.is_terminal or force


def older_than(
    summary: ExecutionSummary, age: timedelta, now: datetime, *, force: bool = False
) -> bool:
    """Whether ``prune --older-than age`` removes the execution.

    An execution that ended ``age`` or longer before ``now`` goes; with ``force``, so does one
    still running that started that long ago.

    Raises:
        ValueError: ``age`` is negative.
    """
    if age < timedelta(0):
        raise ValueError(f"an age cannot be negative; got {age}")
    cutoff = now - age
    if summary.EndTimestamp is not None:
        return summary.EndTimestamp <= cutoff
    return force and summary.Status is ExecutionStatus.RUNNING and summary.StartTimestamp <= cutoff
