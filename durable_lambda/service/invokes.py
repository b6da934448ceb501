"""Chained invokes: what a CHAINED_INVOKE START asked for, and its completion by its target.

An orchestrator reads the pending requests (``pending_chained_invokes``), runs each target,
links the target's own durable execution (``attach_chained_invoke_execution``) and completes the
operation with the target's outcome (``complete_chained_invoke``).
"""

from __future__ import annotations

import re
from datetime import datetime

from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    ChainedInvokeDetails,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.service.history import (
    ChainedInvokeFailedDetails,
    ChainedInvokeStartedDetails,
    ChainedInvokeStoppedDetails,
    ChainedInvokeSucceededDetails,
    ChainedInvokeTimedOutDetails,
    EventType,
)
from durable_lambda.service.record import ChainedInvokeRequest, ExecutionRecord, to_millis
from durable_lambda.service.recording import (
    add_event,
    error_payload,
    put_operation,
    result_payload,
)

__all__ = [
    "attach_chained_invoke_execution",
    "complete_chained_invoke",
    "executed_version",
    "pending_chained_invokes",
]

_VERSION = re.compile(r"\$LATEST(\.PUBLISHED)?|[0-9]+")


def executed_version(function_name: str) -> str:
    """Return the version a chained invoke runs: the qualifier it names, else ``$LATEST``."""
    body = function_name.split(":function:", 1)[-1]
    _, _, qualifier = body.partition(":")
    return qualifier if _VERSION.fullmatch(qualifier) else "$LATEST"


def pending_chained_invokes(record: ExecutionRecord) -> list[ChainedInvokeRequest]:
    """Return the chained invokes whose target has not finished yet, in the order they started."""
    if record.status.is_terminal:
        return []
    return [
        request
        for request in record.chained_invokes.values()
        if record.operations[request.OperationId].Status is OperationStatus.STARTED
    ]


def _started_invoke(record: ExecutionRecord, operation_id: str) -> Operation:
    operation = record.operations.get(operation_id)
    if operation is None or operation.Type is not OperationType.CHAINED_INVOKE:
        raise ValidationError(
            "no CHAINED_INVOKE operation has this id",
            execution_arn=record.arn,
            operation_id=operation_id,
        )
    if operation.Status is not OperationStatus.STARTED or record.status.is_terminal:
        raise ValidationError(
            f"the chained invoke is no longer running ({operation.Status.value})",
            execution_arn=record.arn,
            operation_id=operation_id,
            operation_name=operation.Name,
        )
    return operation


def attach_chained_invoke_execution(
    record: ExecutionRecord, operation_id: str, child_execution_arn: str
) -> None:
    """Record the durable execution an orchestrator started for a chained invoke's target.

    The ARN shows in the ``ChainedInvokeStarted`` event, as the service reports it.

    Raises:
        ValidationError: No running chained invoke has this id.
    """
    _started_invoke(record, operation_id)
    request = record.chained_invokes[operation_id]
    record.chained_invokes[operation_id] = request.model_copy(
        update={"DurableExecutionArn": child_execution_arn}
    )
    for index in range(len(record.history) - 1, -1, -1):
        event = record.history[index]
        if event.EventType is EventType.CHAINED_INVOKE_STARTED and event.Id == operation_id:
            details = event.ChainedInvokeStartedDetails or ChainedInvokeStartedDetails()
            linked = details.model_copy(update={"DurableExecutionArn": child_execution_arn})
            record.history[index] = event.model_copy(update={"ChainedInvokeStartedDetails": linked})
            return


_INVOKE_OUTCOMES = {
    OperationStatus.SUCCEEDED: EventType.CHAINED_INVOKE_SUCCEEDED,
    OperationStatus.FAILED: EventType.CHAINED_INVOKE_FAILED,
    OperationStatus.TIMED_OUT: EventType.CHAINED_INVOKE_TIMED_OUT,
    OperationStatus.STOPPED: EventType.CHAINED_INVOKE_STOPPED,
}


def complete_chained_invoke(
    record: ExecutionRecord,
    operation_id: str,
    status: OperationStatus,
    now: datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
) -> Operation:
    """Complete a chained invoke with its target's outcome.

    Args:
        record: The calling execution, changed in place.
        operation_id: The CHAINED_INVOKE operation.
        status: SUCCEEDED, FAILED, TIMED_OUT or STOPPED.
        now: The current time.
        result: The target's result (SUCCEEDED only).
        error: The target's error (the other statuses).

    Returns:
        The completed operation.

    Raises:
        ValidationError: Not a running chained invoke, a status that does not end one, or an
            error given with SUCCEEDED.
    """
    now = to_millis(now)
    operation = _started_invoke(record, operation_id)
    event_type = _INVOKE_OUTCOMES.get(status)
    if event_type is None:
        raise ValidationError(f"{status.value} does not end a chained invoke", field="status")
    if status is OperationStatus.SUCCEEDED and error is not None:
        raise ValidationError("a SUCCEEDED chained invoke carries no error", field="error")
    succeeded = status is OperationStatus.SUCCEEDED
    invoke = put_operation(
        record,
        operation.model_copy(
            update={
                "Status": status,
                "EndTimestamp": now,
                "ChainedInvokeDetails": ChainedInvokeDetails(
                    Result=result if succeeded else None, Error=None if succeeded else error
                ),
            }
        ),
    )
    details = _invoke_details(status, result, error)
    add_event(record, event_type, now, details, invoke)
    return invoke


def _invoke_details(
    status: OperationStatus, result: str | None, error: ErrorObject | None
) -> (
    ChainedInvokeSucceededDetails
    | ChainedInvokeFailedDetails
    | ChainedInvokeTimedOutDetails
    | ChainedInvokeStoppedDetails
):
    if status is OperationStatus.SUCCEEDED:
        return ChainedInvokeSucceededDetails(Result=result_payload(result))
    if status is OperationStatus.FAILED:
        return ChainedInvokeFailedDetails(Error=error_payload(error))
    if status is OperationStatus.TIMED_OUT:
        return ChainedInvokeTimedOutDetails(Error=error_payload(error))
    return ChainedInvokeStoppedDetails(Error=error_payload(error))
