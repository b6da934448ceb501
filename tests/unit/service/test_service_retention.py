"""Which executions ``delete`` and ``prune`` may remove (``service.retention``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from durable_lambda.service.record import ExecutionStatus, ExecutionSummary
from durable_lambda.service.retention import may_remove, older_than

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def summary(status: ExecutionStatus, started: datetime, ended: datetime | None) -> ExecutionSummary:
    return ExecutionSummary(
        DurableExecutionArn="arn:aws:lambda:us-east-1:0:function:f:$LATEST/durable-execution/n/i",
        DurableExecutionName="n",
        FunctionName="f",
        Status=status,
        StartTimestamp=started,
        EndTimestamp=ended,
    )


@pytest.mark.parametrize("status", [s for s in ExecutionStatus if s.is_terminal])
def test_an_ended_execution_may_be_removed(status: ExecutionStatus) -> None:
    assert may_remove(status)


def test_a_running_execution_only_when_forced() -> None:
    assert not may_remove(ExecutionStatus.RUNNING)
    assert may_remove(ExecutionStatus.RUNNING, force=True)


def test_prune_takes_what_ended_at_least_that_long_ago() -> None:
    ended_long_ago = summary(ExecutionStatus.SUCCEEDED, NOW - 9 * DAY, NOW - 8 * DAY)
    ended_just_then = summary(ExecutionStatus.FAILED, NOW - 9 * DAY, NOW - 7 * DAY)
    ended_lately = summary(ExecutionStatus.STOPPED, NOW - 9 * DAY, NOW - DAY)

    assert older_than(ended_long_ago, 7 * DAY, NOW)
    assert older_than(ended_just_then, 7 * DAY, NOW)
    assert not older_than(ended_lately, 7 * DAY, NOW)  # however long ago it started
    assert older_than(ended_lately, timedelta(0), NOW)


def test_prune_takes_a_running_execution_by_its_start_only_when_forced() -> None:
    running = summary(ExecutionStatus.RUNNING, NOW - 30 * DAY, None)
    young = summary(ExecutionStatus.RUNNING, NOW - DAY, None)

    assert not older_than(running, 7 * DAY, NOW)
    assert older_than(running, 7 * DAY, NOW, force=True)
    assert not older_than(young, 7 * DAY, NOW, force=True)


def test_a_negative_age_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        older_than(summary(ExecutionStatus.SUCCEEDED, NOW, NOW), -DAY, NOW)
