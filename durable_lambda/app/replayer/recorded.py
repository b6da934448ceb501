"""``RecordedExecution``: one execution's operations and outcome, whatever they were read from.

A replay needs the operations an execution recorded (the EXECUTION operation with the input
first), how the execution stands, and its ARN. They come from a local store's record, from the
JSON ``durable-lambda history --json`` writes, from a ``GetDurableExecutionState`` page, or from
``GetDurableExecutionHistory`` events (on AWS, or saved to a file), which this module folds back
into operations the way the service builds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic

from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    CallbackDetails,
    ChainedInvokeDetails,
    ContextDetails,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationStatus,
    OperationType,
    StepDetails,
    WaitDetails,
)
from durable_lambda.service.history import EventType, HistoryEvent, WaitStartedDetails
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

__all__ = ["RecordedExecution", "from_document", "from_history", "from_record", "load_json_file"]


@dataclass(frozen=True)
class RecordedExecution:
    """An execution as a replay reads it.

    Attributes:
        arn: The execution's ARN.
        name: Its name.
        status: How it stands.
        operations: Every recorded operation, the EXECUTION operation (with the input) first.
        error: The error it ended with, if it failed.
        source: Where it was read from, for messages.
        replay_children_known: Whether each context's ``ReplayChildren`` flag was recorded
            (history events do not carry it).
    """

    arn: str
    name: str
    status: ExecutionStatus
    operations: tuple[Operation, ...]
    error: ErrorObject | None = None
    source: str = ""
    replay_children_known: bool = True

    def __post_init__(self) -> None:
        if not any(op.Type is OperationType.EXECUTION for op in self.operations):
            raise ValidationError(
                f"{self.source or self.arn}: no EXECUTION operation (the execution's input) "
                "was recorded, so there is nothing to replay",
                field="operations",
            )

    @property
    def execution(self) -> Operation:
        """The EXECUTION operation."""
        return next(op for op in self.operations if op.Type is OperationType.EXECUTION)


def from_record(record: ExecutionRecord, source: str = "") -> RecordedExecution:
    """Return a local store's record as a ``RecordedExecution``.

    Args:
        record: The record (from an ``ExecutionStore``).
        source: Where it was read from.
    """
    return RecordedExecution(
        arn=record.arn,
        name=record.name,
        status=record.status,
        operations=_execution_first(record.operations.values()),
        error=record.error,
        source=source,
    )


def from_document(data: object, *, source: str = "", arn: str | None = None) -> RecordedExecution:
    """Read a saved execution: any of the JSON documents a replay accepts.

    * what ``durable-lambda history --json`` writes: ``{"execution", "operations", "events"}``;
    * a ``GetDurableExecutionHistory`` response: ``{"Events": [...]}`` (all pages' events), to
      which the ``GetDurableExecution`` response's fields may be added (``DurableExecutionArn``,
      ``Status``, ...);
    * a ``GetDurableExecutionState`` response: ``{"Operations": [...]}`` (all pages).

    Args:
        data: The parsed JSON.
        source: Where it was read from, for messages.
        arn: The execution's ARN when the document does not carry it.

    Raises:
        ValidationError: the document is none of these, or is malformed.
    """
    where = source or "the document"
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{where}: expected a JSON object (history --json output, or a "
            f"GetDurableExecutionHistory or GetDurableExecutionState response); got "
            f"{type(data).__name__}",
            field="source",
        )
    try:
        if "operations" in data and "execution" in data:
            return _from_history_json(data, where, source)
        if "Events" in data:
            events = [HistoryEvent.model_validate(event) for event in _list(data, "Events", where)]
            return from_history(
                events,
                arn=str(data.get("DurableExecutionArn") or arn or ""),
                name=_optional_str(data.get("DurableExecutionName")),
                status=_optional_str(data.get("Status")),
                source=source,
            )
        if "Operations" in data:
            operations = [Operation.model_validate(op) for op in _list(data, "Operations", where)]
            return _from_state(operations, arn, where, source)
    except pydantic.ValidationError as error:
        problem = _first_problem(error)
        raise ValidationError(f"{where}: malformed: {problem}", field="source") from None
    raise ValidationError(
        f"{where}: not an execution record; expected the keys of `durable-lambda history "
        f"--json` (execution, operations), of GetDurableExecutionHistory (Events) or of "
        f"GetDurableExecutionState (Operations); found {sorted(map(str, data))[:8]}",
        field="source",
    )


def _from_history_json(data: Mapping[str, Any], where: str, source: str) -> RecordedExecution:
    execution = data["execution"]
    if not isinstance(execution, Mapping):
        raise ValidationError(f"{where}: 'execution' is not an object", field="source")
    operations = [Operation.model_validate(op) for op in _list(data, "operations", where)]
    arn = str(execution.get("DurableExecutionArn") or "")
    error = execution.get("Error")
    return RecordedExecution(
        arn=arn,
        name=str(execution.get("DurableExecutionName") or _name_from_arn(arn)),
        status=_status(execution.get("Status"), where),
        operations=_execution_first(operations),
        error=ErrorObject.model_validate(error) if error else None,
        source=source,
    )


def _from_state(
    operations: Sequence[Operation], arn: str | None, where: str, source: str
) -> RecordedExecution:
    execution = next((op for op in operations if op.Type is OperationType.EXECUTION), None)
    # A state page is only handed to an invocation of a running execution; it names no ARN.
    arn = arn or (execution.Id if execution is not None and execution.Id.startswith("arn:") else "")
    return RecordedExecution(
        arn=arn or f"state:{where}",
        name=_name_from_arn(arn) if arn else where,
        status=ExecutionStatus.RUNNING,
        operations=_execution_first(operations),
        source=source,
    )


def from_history(
    events: Iterable[HistoryEvent],
    *,
    arn: str = "",
    name: str | None = None,
    status: str | None = None,
    source: str = "",
) -> RecordedExecution:
    """Fold ``GetDurableExecutionHistory`` events back into the operations they recorded.

    Each operation takes its type, name, parent and subtype from its events and its status and
    outcome from the last one, as the service built it: a step attempt that failed with a retry
    scheduled (or a wait_for_condition poll asking to go on) leaves the step PENDING.

    Args:
        events: Every event, in order (all pages), read with execution data.
        arn: The execution's ARN (else the ExecutionStarted event's operation id, if an ARN).
        name: The execution's name (else the ARN's).
        status: The execution's status (else what its closing event says, or RUNNING).
        source: Where they were read from, for messages.

    Raises:
        ValidationError: no ExecutionStarted event, or a payload was left out (the history was
            read without ``IncludeExecutionData``).
    """
    where = source or "the history"
    builder = _HistoryFolder(where)
    for event in events:
        builder.add(event)
    execution = builder.execution
    if execution is None:
        raise ValidationError(
            f"{where}: no ExecutionStarted event; is this the whole history (every page)?",
            field="source",
        )
    arn = arn or (execution.Id if execution.Id.startswith("arn:") else "")
    return RecordedExecution(
        arn=arn or f"history:{where}",
        name=name or (_name_from_arn(arn) if arn else where),
        status=_status(status, where) if status else builder.status,
        operations=(execution, *builder.operations()),
        error=builder.error,
        source=source,
        replay_children_known=False,
    )


_CLOSING: dict[EventType, ExecutionStatus] = {
    EventType.EXECUTION_SUCCEEDED: ExecutionStatus.SUCCEEDED,
    EventType.EXECUTION_FAILED: ExecutionStatus.FAILED,
    EventType.EXECUTION_TIMED_OUT: ExecutionStatus.TIMED_OUT,
    EventType.EXECUTION_STOPPED: ExecutionStatus.STOPPED,
}

_TYPES: tuple[tuple[str, OperationType], ...] = (
    ("Step", OperationType.STEP),
    ("Context", OperationType.CONTEXT),
    ("Wait", OperationType.WAIT),
    ("Callback", OperationType.CALLBACK),
    ("ChainedInvoke", OperationType.CHAINED_INVOKE),
)

_OUTCOMES: dict[str, OperationStatus] = {
    "Started": OperationStatus.STARTED,
    "Succeeded": OperationStatus.SUCCEEDED,
    "Failed": OperationStatus.FAILED,
    "TimedOut": OperationStatus.TIMED_OUT,
    "Stopped": OperationStatus.STOPPED,
    "Cancelled": OperationStatus.CANCELLED,
}

_DETAILS_FIELD: dict[OperationType, str] = {
    OperationType.STEP: "StepDetails",
    OperationType.CONTEXT: "ContextDetails",
    OperationType.WAIT: "WaitDetails",
    OperationType.CALLBACK: "CallbackDetails",
    OperationType.CHAINED_INVOKE: "ChainedInvokeDetails",
}


class _HistoryFolder:
    """Builds operations from history events, one event at a time."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.execution: Operation | None = None
        self.status = ExecutionStatus.RUNNING
        self.error: ErrorObject | None = None
        self._fields: dict[str, dict[str, Any]] = {}

    def add(self, event: HistoryEvent) -> None:
        kind = event.EventType
        if kind is EventType.EXECUTION_STARTED:
            self._started_execution(event)
            return
        if kind in _CLOSING:
            self.status = _CLOSING[kind]
            details = event.details
            error = getattr(details, "Error", None)
            self.error = error.Payload if error is not None else None
            return
        typed = _type_of(kind.value)
        if typed is None or event.Id is None:  # InvocationCompleted, pauses: no operation
            return
        operation_type, outcome = typed
        fields = self._fields.setdefault(
            event.Id,
            {
                "Id": event.Id,
                "ParentId": event.ParentId,
                "Name": event.Name,
                "Type": operation_type,
                "SubType": event.SubType,
                "StartTimestamp": event.EventTimestamp,
                "details": {},
            },
        )
        self._apply(fields, operation_type, outcome, event)

    def _started_execution(self, event: HistoryEvent) -> None:
        details = event.ExecutionStartedDetails
        payload = details.Input if details is not None else None
        if payload is not None and payload.Truncated and payload.Payload is None:
            self._truncated("the execution's input")
        self.execution = Operation(
            Id=event.Id or "execution",
            Type=OperationType.EXECUTION,
            StartTimestamp=event.EventTimestamp,
            Status=OperationStatus.STARTED,
            ExecutionDetails=ExecutionDetails(InputPayload=payload.Payload if payload else None),
        )

    def _apply(
        self,
        fields: dict[str, Any],
        operation_type: OperationType,
        outcome: str,
        event: HistoryEvent,
    ) -> None:
        details: dict[str, Any] = fields["details"]
        status = _OUTCOMES[outcome]
        raw = event.details
        retry = getattr(raw, "RetryDetails", None)
        if operation_type is OperationType.STEP and retry is not None:
            if retry.CurrentAttempt is not None:
                details["Attempt"] = retry.CurrentAttempt
            if retry.NextAttemptDelaySeconds:
                # An attempt that failed with a retry scheduled, or a wait_for_condition poll
                # that asks to go on: the step waits for its next attempt. (A retry is at least
                # a second away; some services write a delay of 0 on a final failure.)
                status = OperationStatus.PENDING
        result = getattr(raw, "Result", None)
        if result is not None:
            if result.Truncated and result.Payload is None:
                self._truncated(f"the result of {event.Name or event.Id}")
            details["Result"] = result.Payload
        error = getattr(raw, "Error", None)
        if error is not None:
            details["Error"] = error.Payload
        if isinstance(raw, WaitStartedDetails) and raw.ScheduledEndTimestamp is not None:
            details["ScheduledEndTimestamp"] = raw.ScheduledEndTimestamp
        callback_id = getattr(raw, "CallbackId", None)
        if callback_id is not None:
            details["CallbackId"] = callback_id
        if status is OperationStatus.STARTED and operation_type is OperationType.STEP:
            details.pop("Error", None)  # a new attempt begins
        fields["Status"] = status
        if status not in (OperationStatus.STARTED, OperationStatus.PENDING):
            fields["EndTimestamp"] = event.EventTimestamp

    def _truncated(self, what: str) -> None:
        raise ValidationError(
            f"{self.where}: {what} was left out of the history; read it with "
            "IncludeExecutionData=True so that the replay has the recorded values",
            field="source",
        )

    def operations(self) -> list[Operation]:
        built = []
        for fields in self._fields.values():
            fields = dict(fields)
            details = fields.pop("details")
            operation_type: OperationType = fields["Type"]
            fields[_DETAILS_FIELD[operation_type]] = _details(operation_type, details)
            built.append(Operation.model_validate(fields))
        return built


def _details(operation_type: OperationType, details: dict[str, Any]) -> object:
    if operation_type is OperationType.STEP:
        return StepDetails.model_validate(details)
    if operation_type is OperationType.CONTEXT:
        return ContextDetails.model_validate(details)
    if operation_type is OperationType.WAIT:
        return WaitDetails.model_validate(details)
    if operation_type is OperationType.CALLBACK:
        return CallbackDetails.model_validate(details)
    return ChainedInvokeDetails.model_validate(details)


def _type_of(event_type: str) -> tuple[OperationType, str] | None:
    for prefix, operation_type in _TYPES:
        rest = event_type.removeprefix(prefix)
        if rest != event_type and rest in _OUTCOMES:
            return operation_type, rest
    return None


def _execution_first(operations: Iterable[Operation]) -> tuple[Operation, ...]:
    ordered = list(operations)
    ordered.sort(key=lambda op: op.Type is not OperationType.EXECUTION)  # stable
    return tuple(ordered)


def _status(value: object, where: str) -> ExecutionStatus:
    try:
        return ExecutionStatus(str(value or "RUNNING"))
    except ValueError:
        allowed = ", ".join(status.value for status in ExecutionStatus)
        raise ValidationError(
            f"{where}: unknown execution status {value!r} (one of {allowed})", field="source"
        ) from None


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list):
        raise ValidationError(f"{where}: {key!r} is not a list", field="source")
    return value


def _optional_str(value: object) -> str | None:
    return str(value) if value else None


def _name_from_arn(arn: str) -> str:
    # .../durable-execution/<name>/<id>: the name is the last-but-one segment.
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def _first_problem(error: pydantic.ValidationError) -> str:
    issue = error.errors()[0]
    location = ".".join(str(part) for part in issue["loc"])
    return f"{location}: {issue['msg']}" if location else issue["msg"]


def load_json_file(path: str) -> Any:
    """Read a JSON file for ``from_document``.

    Raises:
        ValidationError: it cannot be read, or is not JSON.
    """
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as error:
        raise ValidationError(
            f"cannot read {path}: {error.strerror or error}", field="source"
        ) from None
    except (ValueError, RecursionError) as error:
        raise ValidationError(f"{path} is not valid JSON: {error}", field="source") from None
