"""WAIT: its rules, and what its updates do (start with a duration, cancel).

A started wait arms a timer; when it fires (``timers.advance``) the wait succeeds. A cancel
disarms it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationUpdate,
    WaitDetails,
)
from durable_lambda.service.history import EventType, WaitCancelledDetails, WaitStartedDetails
from durable_lambda.service.model_changes import changed
from durable_lambda.service.operations.creation import new_operation
from durable_lambda.service.operations.rules import OperationRules, check_new, refuse
from durable_lambda.service.record import ExecutionRecord, TimerKind
from durable_lambda.service.recording import (
    add_event,
    error_payload,
    put_operation,
    set_timer,
    timer_key,
)

__all__ = ["RULES"]


def _check_start(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation | None
) -> None:
    check_new(record, index, update, current)
    if update.WaitOptions is None or update.WaitOptions.WaitSeconds is None:
        refuse(record, index, update, "a WAIT START needs WaitOptions.WaitSeconds")


def _check_change(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation
) -> None:
    # A CANCEL: only a wait still waiting can be cancelled.
    if current.Status is not OperationStatus.STARTED:
        refuse(record, index, update, f"cannot cancel a {current.Status.value} WAIT")


def _apply(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    if update.Action is OperationAction.START:
        seconds = update.WaitOptions.WaitSeconds if update.WaitOptions else None
        end = now + timedelta(seconds=seconds or 0)
        wait = put_operation(
            record,
            new_operation(update, now, "WaitDetails", WaitDetails(ScheduledEndTimestamp=end)),
        )
        set_timer(record, TimerKind.WAIT, end, wait.Id)
        details = WaitStartedDetails(Duration=seconds or 0, ScheduledEndTimestamp=end)
        add_event(record, EventType.WAIT_STARTED, now, details, wait)
        return
    assert current is not None  # check_update refuses cancelling an unknown wait
    record.timers.pop(timer_key(TimerKind.WAIT, current.Id), None)
    wait = put_operation(
        record, changed(current, Status=OperationStatus.CANCELLED, EndTimestamp=now)
    )
    error = error_payload(update.Error) if update.Error is not None else None
    add_event(record, EventType.WAIT_CANCELLED, now, WaitCancelledDetails(Error=error), wait)


RULES = OperationRules(
    actions=frozenset({OperationAction.START, OperationAction.CANCEL}),
    apply=_apply,
    check_start=_check_start,
    check_change=_check_change,
)
"""The WAIT type's rules."""
