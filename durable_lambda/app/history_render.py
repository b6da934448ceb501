"""An execution's operations as a tree with time spans: what ``durable-lambda history`` draws.

``execution_timeline`` reads a stored ``ExecutionRecord`` (its operations and history events)
and returns plain values: one ``OperationNode`` per operation, nested by parent, each with the
``Segment``s of time it spent running, backing off before a retry, or waiting; and the Lambda
invocations that ran the handler. The rich tree of the CLI and the HTML timeline
(``history_html``) both draw from it, so they never disagree about what happened when.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from durable_lambda.core.model import ErrorObject, Operation, OperationStatus, OperationType
from durable_lambda.service.history import EventType, HistoryEvent
from durable_lambda.service.record import ExecutionRecord

__all__ = [
    "Invocation",
    "OperationNode",
    "Segment",
    "SegmentKind",
    "Timeline",
    "execution_timeline",
    "format_duration",
]


class SegmentKind(StrEnum):
    """What an operation was doing during a stretch of time."""

    RUN = "run"
    """Code ran: a step attempt, a context's body, the whole execution."""
    BACKOFF = "backoff"
    """A failed step attempt waits for its next attempt."""
    WAIT = "wait"
    """Waiting on time or on the outside world: a wait, a callback, a chained invoke."""


@dataclass(frozen=True)
class Segment:
    """A stretch of an operation's life.

    Attributes:
        start: When it began.
        end: When it ended (the timeline's end if it is still going on).
        kind: What the operation was doing.
        status: The outcome it ended with (``SUCCEEDED``, ``FAILED``, or ``STARTED`` if open).
        label: A short description (``attempt 2``, ``next attempt in 5s``).
        error: ``Type: message`` of the error a failed stretch ended with.
        failure: That error in full (its data and stack trace), when the history has it.
        payload: What a step attempt returned or checkpointed (a ``wait_for_condition``
            poll's state), as recorded.
        delay_seconds: For a back-off, the delay the retry strategy asked for.
    """

    start: datetime
    end: datetime
    kind: SegmentKind
    status: OperationStatus
    label: str
    error: str | None = None
    failure: ErrorObject | None = None
    payload: str | None = None
    delay_seconds: int | None = None

    @property
    def duration_seconds(self) -> float:
        """How long the stretch lasted."""
        return (self.end - self.start).total_seconds()


@dataclass
class OperationNode:
    """One operation, its children, and how it spent its time.

    Attributes:
        operation: The operation as the service stores it.
        depth: 0 for the execution, 1 for its top-level operations, and so on.
        end: When it ended, or the timeline's end if it has not.
        attempts: How many attempts a step made (None for other types).
        segments: Its stretches of time, in order.
        children: The operations started inside it, in start order.
        input_payload: What it was given: the execution's input, a chained invoke's payload.
    """

    operation: Operation
    depth: int
    end: datetime
    attempts: int | None = None
    input_payload: str | None = None
    segments: list[Segment] = field(default_factory=list)
    children: list[OperationNode] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        """When the operation started."""
        return self.operation.StartTimestamp

    @property
    def status(self) -> OperationStatus:
        """The operation's status."""
        return self.operation.Status

    @property
    def title(self) -> str:
        """Its name, else its subtype (or type) and the start of its id."""
        op = self.operation
        return op.Name or f"{op.SubType or op.Type.value.lower()} {op.Id[:8]}"

    @property
    def duration_seconds(self) -> float:
        """How long it ran (until now for an open operation)."""
        return (self.end - self.start).total_seconds()

    @property
    def is_open(self) -> bool:
        """Whether it has not ended."""
        return self.operation.EndTimestamp is None

    def walk(self) -> Iterable[OperationNode]:
        """Yield this node and every node below it, depth first, in start order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Invocation:
    """One Lambda invocation of the handler.

    Attributes:
        start: When it started.
        end: When it returned.
        request_id: Its request id.
        error: The error type it crashed with, if any.
    """

    start: datetime
    end: datetime
    request_id: str
    error: str | None = None

    @property
    def duration_seconds(self) -> float:
        """How long the invocation ran."""
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Timeline:
    """An execution laid out in time.

    Attributes:
        root: The EXECUTION operation's node; every other operation is below it.
        start: When the execution started.
        end: When it ended, or ``now`` if it is still running.
        invocations: The handler's invocations, in order.
    """

    root: OperationNode
    start: datetime
    end: datetime
    invocations: tuple[Invocation, ...]

    def nodes(self) -> list[OperationNode]:
        """Return every node, depth first."""
        return list(self.root.walk())


def format_duration(seconds: float) -> str:
    """Return a duration the way a person reads it.

    Example:
        >>> [format_duration(s) for s in (0.0123, 1.5, 125, 7260, 190800)]
        ['12ms', '1.50s', '2m 05s', '2h 01m', '2d 05h']
    """
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def execution_timeline(record: ExecutionRecord, now: datetime) -> Timeline:
    """Lay out an execution's operations in time, nested by parent.

    Args:
        record: The execution as the local service stores it.
        now: Where open operations end (the clock's now for a running execution).

    Returns:
        The timeline; operations whose parent is unknown hang under the execution.
    """
    end = record.end_timestamp or max(now, _latest(record))
    events = _events_by_operation(record.history)
    operations = list(record.operations.values())
    root_op = next((op for op in operations if op.Type is OperationType.EXECUTION), None)
    if root_op is None:  # a record from before the EXECUTION operation was written
        root_op = Operation(
            Id="execution",
            Name=record.name,
            Type=OperationType.EXECUTION,
            StartTimestamp=record.start_timestamp,
            Status=_execution_status(record),
        )
    nodes = {op.Id: _node(op, events.get(op.Id, []), end) for op in operations}
    root = nodes.get(root_op.Id) or _node(root_op, [], end)
    root.input_payload = record.input_payload
    for op in operations:
        if op.Id == root.operation.Id:
            continue
        parent = nodes.get(op.ParentId) if op.ParentId else None
        (parent or root).children.append(nodes[op.Id])
    _set_depth(root, 0)
    return Timeline(
        root=root,
        start=record.start_timestamp,
        end=end,
        invocations=tuple(_invocations(record.history)),
    )


def _execution_status(record: ExecutionRecord) -> OperationStatus:
    status = record.status.value
    return OperationStatus(status) if status != "RUNNING" else OperationStatus.STARTED


def _latest(record: ExecutionRecord) -> datetime:
    moments = [record.start_timestamp]
    moments.extend(event.EventTimestamp for event in record.history)
    return max(moments)


def _set_depth(node: OperationNode, depth: int) -> None:
    node.depth = depth
    node.children.sort(key=lambda child: child.start)
    for child in node.children:
        _set_depth(child, depth + 1)


def _events_by_operation(history: Sequence[HistoryEvent]) -> dict[str, list[HistoryEvent]]:
    grouped: dict[str, list[HistoryEvent]] = {}
    for event in history:
        if event.Id is not None:
            grouped.setdefault(event.Id, []).append(event)
    return grouped


def _invocations(history: Sequence[HistoryEvent]) -> Iterable[Invocation]:
    for event in history:
        details = event.InvocationCompletedDetails
        if event.EventType is not EventType.INVOCATION_COMPLETED or details is None:
            continue
        error = details.Error.Payload if details.Error and details.Error.Payload else None
        yield Invocation(
            start=details.StartTimestamp,
            end=details.EndTimestamp,
            request_id=details.RequestId,
            error=(error.ErrorType or "Error") if error else None,
        )


def _node(op: Operation, events: Sequence[HistoryEvent], timeline_end: datetime) -> OperationNode:
    end = op.EndTimestamp or timeline_end
    node = OperationNode(operation=op, depth=0, end=end)
    if op.Type is OperationType.STEP:
        node.attempts = _attempts(op, events)
        node.segments = _step_segments(op, events, end)
    elif op.Type in (OperationType.WAIT, OperationType.CALLBACK, OperationType.CHAINED_INVOKE):
        label = {
            OperationType.WAIT: "waiting",
            OperationType.CALLBACK: "awaiting answer",
            OperationType.CHAINED_INVOKE: "awaiting target",
        }[op.Type]
        node.segments = [Segment(op.StartTimestamp, end, SegmentKind.WAIT, op.Status, label)]
        node.input_payload = _invoke_input(events)
    else:
        error = op.error
        described = f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}" if error else None
        node.segments = [
            Segment(op.StartTimestamp, end, SegmentKind.RUN, op.Status, "running", described, error)
        ]
    return node


def _attempts(op: Operation, events: Sequence[HistoryEvent]) -> int:
    closed = sum(
        1
        for event in events
        if event.EventType in (EventType.STEP_SUCCEEDED, EventType.STEP_FAILED)
    )
    stored = op.StepDetails.Attempt if op.StepDetails and op.StepDetails.Attempt else 0
    # An attempt still running has started but not closed.
    running = 1 if op.Status is OperationStatus.STARTED else 0
    return max(closed, stored) + running


def _step_segments(op: Operation, events: Sequence[HistoryEvent], end: datetime) -> list[Segment]:
    """Split a step's life into attempts and the back-offs between them, from its events."""
    segments: list[Segment] = []
    opened: datetime | None = None
    backoff: tuple[datetime, int] | None = None  # since when, and the delay asked for
    attempt = 0
    for event in events:
        kind = event.EventType
        if kind is EventType.STEP_STARTED:
            if backoff is not None:
                segments.append(_backoff(backoff, event.EventTimestamp, OperationStatus.PENDING))
                backoff = None
            opened = event.EventTimestamp
            attempt += 1
        elif kind in (EventType.STEP_SUCCEEDED, EventType.STEP_FAILED):
            failed = kind is EventType.STEP_FAILED
            status = OperationStatus.FAILED if failed else OperationStatus.SUCCEEDED
            start = opened or event.EventTimestamp
            attempt = max(attempt, 1)
            failure = _event_failure(event)
            segments.append(
                Segment(start, event.EventTimestamp, SegmentKind.RUN, status,
                        f"attempt {attempt}", _described(failure), failure, _event_payload(event))
            )  # fmt: skip
            opened = None
            retry = _retry_delay(event)
            if retry is not None:
                backoff = (event.EventTimestamp, retry)
    if opened is not None:
        segments.append(Segment(opened, end, SegmentKind.RUN, op.Status, f"attempt {attempt}"))
    if backoff is not None:
        segments.append(_backoff(backoff, end, op.Status))
    if not segments:
        segments.append(Segment(op.StartTimestamp, end, SegmentKind.RUN, op.Status, "running"))
    return segments


def _backoff(since: tuple[datetime, int], until: datetime, status: OperationStatus) -> Segment:
    start, delay = since
    label = f"next attempt in {delay}s"
    return Segment(start, until, SegmentKind.BACKOFF, status, label, delay_seconds=delay)


def _event_failure(event: HistoryEvent) -> ErrorObject | None:
    details = event.StepFailedDetails
    return details.Error.Payload if details is not None and details.Error is not None else None


def _described(error: ErrorObject | None) -> str | None:
    if error is None:
        return None
    return f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}"


def _event_payload(event: HistoryEvent) -> str | None:
    details = event.StepSucceededDetails
    result = details.Result if details is not None else None
    return result.Payload if result is not None else None


def _invoke_input(events: Sequence[HistoryEvent]) -> str | None:
    for event in events:
        details = event.ChainedInvokeStartedDetails
        if details is not None and details.Input is not None:
            return details.Input.Payload
    return None


def _retry_delay(event: HistoryEvent) -> int | None:
    details = event.StepFailedDetails or event.StepSucceededDetails
    retry = details.RetryDetails if details is not None else None
    if retry is None or retry.NextAttemptDelaySeconds is None:
        return None
    return retry.NextAttemptDelaySeconds
