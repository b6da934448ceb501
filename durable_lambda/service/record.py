"""What the local durable execution service keeps for one execution: the ``ExecutionRecord``.

``ExecutionRecord`` is the aggregate that the service's functions (``durable_lambda.service``)
read and change; an ``ExecutionStore`` (``service.ports``) loads and saves whole records (in
memory, or as JSON files). The record round-trips through JSON exactly: every timestamp the
service writes is whole milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING, cast

from pydantic import BaseModel, ConfigDict, Field

from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    Operation,
    Timestamp,
    WireModel,
)
from durable_lambda.service.event_log import EventLog

__all__ = [
    "CachedCheckpoint",
    "CallbackRegistration",
    "ChainedInvokeRequest",
    "ExecutionRecord",
    "ExecutionStatus",
    "ExecutionSummary",
    "Timer",
    "TimerKind",
    "to_millis",
]


class ExecutionStatus(StrEnum):
    """Where a durable execution stands (``GetDurableExecution``'s ``Status``)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        """Whether the execution has ended."""
        return self is not ExecutionStatus.RUNNING


class TimerKind(StrEnum):
    """What a timer does when it fires."""

    WAIT = "WAIT"
    """A wait's scheduled end: the wait succeeds."""
    RETRY = "RETRY"
    """A step's next attempt: the step goes READY."""
    CALLBACK_TIMEOUT = "CALLBACK_TIMEOUT"
    """A callback not answered in time: it times out."""
    CALLBACK_HEARTBEAT = "CALLBACK_HEARTBEAT"
    """A callback not heartbeated in time: it times out."""
    EXECUTION_TIMEOUT = "EXECUTION_TIMEOUT"
    """The execution's own time-out: it ends TIMED_OUT."""

    @property
    def is_deadline(self) -> bool:
        """True for time-outs: moments the outside world may still beat, so never skip past them."""
        return self in _DEADLINES


_DEADLINES = frozenset(
    {TimerKind.CALLBACK_TIMEOUT, TimerKind.CALLBACK_HEARTBEAT, TimerKind.EXECUTION_TIMEOUT}
)


class Timer(WireModel):
    """A moment at which the service will change something on its own."""

    At: Timestamp
    Kind: TimerKind
    OperationId: str | None = None


class CallbackRegistration(WireModel):
    """A callback id the service handed out, and the time-outs it was created with."""

    OperationId: str
    TimeoutSeconds: int = 0
    HeartbeatTimeoutSeconds: int = 0


class ChainedInvokeRequest(WireModel):
    """What a CHAINED_INVOKE START asked for, kept so an orchestrator can run the target."""

    OperationId: str
    FunctionName: str
    TenantId: str | None = None
    Payload: str | None = None
    DurableExecutionArn: str | None = None
    """The target's own durable execution, once an orchestrator started one."""


class CachedCheckpoint(WireModel):
    """The last checkpoint answered, replayed when the same ClientToken and token come again."""

    ClientToken: str
    InboundToken: str
    Response: CheckpointResponse


class ExecutionSummary(WireModel):
    """One line of a list of executions."""

    DurableExecutionArn: str
    DurableExecutionName: str
    FunctionName: str
    Status: ExecutionStatus
    StartTimestamp: Timestamp
    EndTimestamp: Timestamp | None = None


class ExecutionRecord(BaseModel):
    """Everything the local service keeps for one durable execution.

    Mutable on purpose (the service changes it in place, then a store saves it), but every
    element inside is a frozen value, so a copy of the containers is a safe snapshot
    (see :meth:`snapshot`).

    Attributes:
        arn: The execution's ARN.
        name: The execution's name (the last-but-one ARN segment).
        function_name: The function that runs it.
        status: Where it stands.
        input_payload: The user's input, as JSON text.
        result: The result payload once SUCCEEDED.
        error: The error once FAILED, TIMED_OUT or STOPPED.
        execution_timeout_seconds: The execution's time-out, if it has one.
        operations: Every operation, by id, in the order they were created.
        callbacks: The callback ids handed out, mapped to their operations.
        chained_invokes: What each CHAINED_INVOKE START asked for, by operation id.
        timers: The service's pending timers, by ``"<kind>:<operation id>"``.
        undelivered: Ids of operations changed since the handler last saw them (an ordered set).
        history: The history events, in order (an ``EventLog``: a list of ``HistoryEvent``
            that validates the events the service recorded when it is first read).
        checkpoint_token: The one token the next checkpoint must carry.
        token_sequence: How many tokens were issued so far.
        last_checkpoint: The last answered checkpoint, for ClientToken replays.
        start_timestamp: When the execution started.
        end_timestamp: When it ended.
        invocation_count: How many invocations completed.
        callback_key: The secret that makes the execution's callback ids unguessable (see
            ``service.callbacks.callback_id_for``); None in records made before it existed.
    """

    model_config = ConfigDict(extra="forbid")

    # Kept beside the fields, never copied, compared or serialised (pydantic leaves slots
    # alone): the operation ids in order (see operation_ids), and the ids of the operations
    # written while a store tracks a change (see service.changes).
    __slots__ = ("_operation_order", "_written")
    if TYPE_CHECKING:
        _operation_order: tuple[dict[str, Operation], list[str]]
        _written: dict[str, None] | None

    arn: str
    name: str
    function_name: str
    status: ExecutionStatus = ExecutionStatus.RUNNING
    input_payload: str | None = None
    result: str | None = None
    error: ErrorObject | None = None
    execution_timeout_seconds: int | None = None
    operations: dict[str, Operation] = {}
    callbacks: dict[str, CallbackRegistration] = {}
    chained_invokes: dict[str, ChainedInvokeRequest] = {}
    timers: dict[str, Timer] = {}
    undelivered: dict[str, None] = {}
    history: EventLog = Field(default_factory=EventLog)
    checkpoint_token: str
    token_sequence: int = 0
    last_checkpoint: CachedCheckpoint | None = None
    start_timestamp: Timestamp
    end_timestamp: Timestamp | None = None
    invocation_count: int = 0
    callback_key: str | None = None

    def snapshot(self) -> ExecutionRecord:
        """Return an independent copy, cheaply: containers are copied, frozen values shared.

        While a store tracks a change of this record (``service.changes.ChangeTracker``), the
        copy's writes of operations are noted with this record's: a change applied to a copy
        and taken over with ``replace_with`` is tracked whole.
        """
        copy = self.model_copy(
            update={
                "operations": dict(self.operations),
                "callbacks": dict(self.callbacks),
                "chained_invokes": dict(self.chained_invokes),
                "timers": dict(self.timers),
                "undelivered": dict(self.undelivered),
                "history": self.history.copy(),
            }
        )
        written = getattr(self, "_written", None)
        if written is not None:
            object.__setattr__(copy, "_written", written)
        return copy

    def operation_ids(self) -> list[str]:
        """Return the ids of the operations in the order they were created.

        The list is kept beside the record (do not change it) and brought up to date in time
        proportional to the operations added since it was last asked for: operations are only
        ever added at the end (a refused checkpoint removes again only those it added), so a
        page of state can be found by its position instead of by a scan of every operation.
        """
        operations = self.operations
        cached = cast(
            "tuple[dict[str, Operation], list[str]] | None",
            getattr(self, "_operation_order", None),
        )
        if cached is not None and cached[0] is operations:
            ids = cached[1]
            added = len(operations) - len(ids)
            if added == 0 and (not ids or next(reversed(operations)) == ids[-1]):
                return ids
            if added > 0:
                # The newest ids, and the one before them, which must be the last one known.
                tail = list(islice(reversed(operations), added + 1))
                if not ids or (len(tail) == added + 1 and tail[-1] == ids[-1]):
                    ids.extend(reversed(tail[:added]))
                    return ids
        ids = list(operations)
        object.__setattr__(self, "_operation_order", (operations, ids))
        return ids

    def replace_with(self, other: ExecutionRecord) -> None:
        """Take every field of ``other`` (used to commit a batch applied to a snapshot)."""
        for field in type(self).model_fields:
            setattr(self, field, getattr(other, field))

    def summary(self) -> ExecutionSummary:
        """Return this execution as a line of a list."""
        return ExecutionSummary(
            DurableExecutionArn=self.arn,
            DurableExecutionName=self.name,
            FunctionName=self.function_name,
            Status=self.status,
            StartTimestamp=self.start_timestamp,
            EndTimestamp=self.end_timestamp,
        )

    def to_json(self) -> str:
        """Serialise the record (what a file store writes)."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, text: str) -> ExecutionRecord:
        """Read a record written by :meth:`to_json`."""
        return cls.model_validate_json(text)


def to_millis(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, cut to whole milliseconds (the service's precision).

    Every time the service stores passes through here, so records round-trip through JSON
    (epoch milliseconds) exactly.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
