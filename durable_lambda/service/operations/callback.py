"""CALLBACK: its rules, and what its START does (hand out an id, arm its time-outs).

The START is the only update; the answer comes from outside (``service.callbacks``) and the
time-outs from the timers (``service.timers``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from durable_lambda.core.model import (
    CallbackDetails,
    Operation,
    OperationAction,
    OperationUpdate,
)
from durable_lambda.service.callbacks import callback_id_for
from durable_lambda.service.history import CallbackStartedDetails, EventType
from durable_lambda.service.operations.creation import new_operation
from durable_lambda.service.operations.rules import OperationRules
from durable_lambda.service.record import CallbackRegistration, ExecutionRecord, TimerKind
from durable_lambda.service.recording import add_event, put_operation, set_timer

__all__ = ["RULES"]


def _apply(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    callback_id = callback_id_for(record.arn, update.Id, record.callback_key)
    options = update.CallbackOptions
    timeout = (options.TimeoutSeconds if options else None) or 0
    heartbeat = (options.HeartbeatTimeoutSeconds if options else None) or 0
    callback = put_operation(
        record,
        new_operation(update, now, "CallbackDetails", CallbackDetails(CallbackId=callback_id)),
    )
    record.callbacks[callback_id] = CallbackRegistration(
        OperationId=update.Id, TimeoutSeconds=timeout, HeartbeatTimeoutSeconds=heartbeat
    )
    if timeout > 0:
        set_timer(record, TimerKind.CALLBACK_TIMEOUT, now + timedelta(seconds=timeout), update.Id)
    if heartbeat > 0:
        at = now + timedelta(seconds=heartbeat)
        set_timer(record, TimerKind.CALLBACK_HEARTBEAT, at, update.Id)
    details = CallbackStartedDetails(
        CallbackId=callback_id,
        Timeout=options.TimeoutSeconds if options else None,
        HeartbeatTimeout=options.HeartbeatTimeoutSeconds if options else None,
    )
    add_event(record, EventType.CALLBACK_STARTED, now, details, callback)


RULES = OperationRules(actions=frozenset({OperationAction.START}), apply=_apply)
"""The CALLBACK type's rules: a new operation starts; nothing else is an update of it."""
