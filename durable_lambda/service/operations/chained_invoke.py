"""CHAINED_INVOKE: its rules, and what its START does (keep the request for an orchestrator).

The START is the only update; the target's outcome completes it (``service.invokes``).
"""

from __future__ import annotations

import re
from datetime import datetime

from durable_lambda.core.model import (
    ChainedInvokeDetails,
    Operation,
    OperationAction,
    OperationUpdate,
)
from durable_lambda.service.history import ChainedInvokeStartedDetails, EventInput, EventType
from durable_lambda.service.invokes import executed_version
from durable_lambda.service.operations.creation import new_operation
from durable_lambda.service.operations.rules import OperationRules, check_new, refuse
from durable_lambda.service.record import ChainedInvokeRequest, ExecutionRecord
from durable_lambda.service.recording import add_event, put_operation

__all__ = ["RULES"]

_TENANT_ID = re.compile(r"[a-zA-Z0-9._:/=+\-@ ]{1,256}")
_FUNCTION_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)


def _check_start(
    record: ExecutionRecord, index: int, update: OperationUpdate, current: Operation | None
) -> None:
    check_new(record, index, update, current)
    options = update.ChainedInvokeOptions
    if options is None:
        refuse(record, index, update, "a CHAINED_INVOKE START needs ChainedInvokeOptions")
    if not _FUNCTION_NAME.fullmatch(options.FunctionName):
        refuse(record, index, update, f"invalid function name {options.FunctionName!r}")
    if options.TenantId is not None and not _TENANT_ID.fullmatch(options.TenantId):
        refuse(record, index, update, f"invalid TenantId {options.TenantId!r}")


def _apply(
    record: ExecutionRecord, update: OperationUpdate, current: Operation | None, now: datetime
) -> None:
    options = update.ChainedInvokeOptions
    assert options is not None  # check_update refuses a START without options
    invoke = put_operation(
        record,
        new_operation(update, now, "ChainedInvokeDetails", ChainedInvokeDetails()),
    )
    record.chained_invokes[update.Id] = ChainedInvokeRequest(
        OperationId=update.Id,
        FunctionName=options.FunctionName,
        TenantId=options.TenantId,
        Payload=update.Payload,
    )
    details = ChainedInvokeStartedDetails(
        FunctionName=options.FunctionName,
        TenantId=options.TenantId,
        Input=EventInput(Payload=update.Payload, Truncated=False)
        if update.Payload is not None
        else None,
        ExecutedVersion=executed_version(options.FunctionName),
    )
    add_event(record, EventType.CHAINED_INVOKE_STARTED, now, details, invoke)


RULES = OperationRules(
    actions=frozenset({OperationAction.START}), apply=_apply, check_start=_check_start
)
"""The CHAINED_INVOKE type's rules: a new operation starts, with a valid target."""
