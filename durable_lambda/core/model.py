"""Wire models of the Lambda durable execution API.

Field names are the service's own PascalCase names (botocore's ``lambda`` model, API version
2025-12-01), so ``model_dump(exclude_none=True)`` is exactly what goes on the wire and a boto3
response validates without any renaming. Every model is frozen: an operation or an update is a
value, never mutated in place.

Timestamps are timezone-aware ``datetime`` objects in Python. They are read from epoch
milliseconds (the Lambda invocation input), ISO strings or ``datetime`` objects (boto3), and are
written as epoch milliseconds in JSON mode, which is what the service puts in invocation inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

__all__ = [
    "CallbackDetails",
    "CallbackOptions",
    "ChainedInvokeDetails",
    "ChainedInvokeOptions",
    "CheckpointResponse",
    "ContextDetails",
    "ContextOptions",
    "ErrorObject",
    "ExecutionDetails",
    "ExecutionState",
    "InvocationInput",
    "InvocationOutput",
    "InvocationStatus",
    "Operation",
    "OperationAction",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
    "OperationUpdate",
    "StepDetails",
    "StepOptions",
    "WaitDetails",
    "WaitOptions",
    "epoch_millis",
]


def epoch_millis(moment: datetime) -> int:
    """Return ``moment`` as whole milliseconds since the Unix epoch (naive values count as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


Timestamp = Annotated[datetime, PlainSerializer(epoch_millis, return_type=int, when_used="json")]
"""A point in time; epoch milliseconds on the JSON wire."""


class WireModel(BaseModel):
    """Base of every wire model: frozen, PascalCase, unknown fields ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready dict the service expects, without absent fields."""
        return self.model_dump(mode="json", exclude_none=True)


class OperationType(StrEnum):
    """The kind of a durable operation."""

    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


class OperationSubType(StrEnum):
    """The subtypes the SDK records, spelled as the official SDKs spell them."""

    STEP = "Step"
    WAIT = "Wait"
    CALLBACK = "Callback"
    RUN_IN_CHILD_CONTEXT = "RunInChildContext"
    MAP = "Map"
    MAP_ITERATION = "MapIteration"
    PARALLEL = "Parallel"
    PARALLEL_BRANCH = "ParallelBranch"
    WAIT_FOR_CALLBACK = "WaitForCallback"
    WAIT_FOR_CONDITION = "WaitForCondition"
    CHAINED_INVOKE = "ChainedInvoke"


class OperationStatus(StrEnum):
    """Where an operation stands."""

    STARTED = "STARTED"
    PENDING = "PENDING"
    READY = "READY"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        """Whether the operation can no longer change."""
        return self in _TERMINAL_STATUSES


_TERMINAL_STATUSES = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


class OperationAction(StrEnum):
    """What an update asks the service to do with an operation."""

    START = "START"
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    RETRY = "RETRY"
    CANCEL = "CANCEL"


class ErrorObject(WireModel):
    """An error as the service stores it."""

    ErrorType: str | None = None
    ErrorMessage: str | None = None
    ErrorData: str | None = None
    StackTrace: tuple[str, ...] | None = None


class ExecutionDetails(WireModel):
    """Details of the EXECUTION operation: the user's input as JSON text."""

    InputPayload: str | None = None


class ContextDetails(WireModel):
    """Details of a CONTEXT operation (child context, map, parallel)."""

    ReplayChildren: bool | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class StepDetails(WireModel):
    """Details of a STEP operation: attempts so far, the next retry, the outcome."""

    Attempt: Annotated[int, Field(ge=0)] | None = None
    NextAttemptTimestamp: Timestamp | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class WaitDetails(WireModel):
    """Details of a WAIT operation."""

    ScheduledEndTimestamp: Timestamp | None = None


class CallbackDetails(WireModel):
    """Details of a CALLBACK operation: the id the outside world answers to."""

    CallbackId: str | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class ChainedInvokeDetails(WireModel):
    """Details of a CHAINED_INVOKE operation."""

    Result: str | None = None
    Error: ErrorObject | None = None


# Aliases: a field named like its type would otherwise shadow the type in the class body.
_ExecutionDetails = ExecutionDetails
_ContextDetails = ContextDetails
_StepDetails = StepDetails
_WaitDetails = WaitDetails
_CallbackDetails = CallbackDetails
_ChainedInvokeDetails = ChainedInvokeDetails


class Operation(WireModel):
    """One checkpointed operation as the service reports it."""

    Id: Annotated[str, Field(min_length=1, max_length=64)]
    ParentId: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    Name: str | None = None
    Type: OperationType
    SubType: str | None = None
    StartTimestamp: Timestamp
    EndTimestamp: Timestamp | None = None
    Status: OperationStatus
    ExecutionDetails: _ExecutionDetails | None = None
    ContextDetails: _ContextDetails | None = None
    StepDetails: _StepDetails | None = None
    WaitDetails: _WaitDetails | None = None
    CallbackDetails: _CallbackDetails | None = None
    ChainedInvokeDetails: _ChainedInvokeDetails | None = None

    @property
    def result_payload(self) -> str | None:
        """The stored result payload, whatever the operation's type."""
        details = self._outcome_details()
        return None if details is None else details.Result

    @property
    def error(self) -> ErrorObject | None:
        """The stored error, whatever the operation's type."""
        details = self._outcome_details()
        return None if details is None else details.Error

    def _outcome_details(
        self,
    ) -> _StepDetails | _ContextDetails | _CallbackDetails | _ChainedInvokeDetails | None:
        if self.Type is OperationType.STEP:
            return self.StepDetails
        if self.Type is OperationType.CONTEXT:
            return self.ContextDetails
        if self.Type is OperationType.CALLBACK:
            return self.CallbackDetails
        if self.Type is OperationType.CHAINED_INVOKE:
            return self.ChainedInvokeDetails
        return None


class ContextOptions(WireModel):
    """Options of a CONTEXT update."""

    ReplayChildren: bool | None = None


class StepOptions(WireModel):
    """Options of a STEP update: the delay before the next attempt."""

    NextAttemptDelaySeconds: Annotated[int, Field(ge=1, le=31_622_400)] | None = None


class WaitOptions(WireModel):
    """Options of a WAIT update: how long to wait."""

    WaitSeconds: Annotated[int, Field(ge=1, le=31_622_400)] | None = None


class CallbackOptions(WireModel):
    """Options of a CALLBACK update; 0 means no time-out."""

    TimeoutSeconds: Annotated[int, Field(ge=0, le=99_999_999)] | None = None
    HeartbeatTimeoutSeconds: Annotated[int, Field(ge=0, le=99_999_999)] | None = None


class ChainedInvokeOptions(WireModel):
    """Options of a CHAINED_INVOKE update: which function to invoke."""

    FunctionName: Annotated[str, Field(min_length=1, max_length=256)]
    TenantId: str | None = None
    XAmznTraceId: str | None = None


_ContextOptions = ContextOptions
_StepOptions = StepOptions
_WaitOptions = WaitOptions
_CallbackOptions = CallbackOptions
_ChainedInvokeOptions = ChainedInvokeOptions


class OperationUpdate(WireModel):
    """One change to an operation, sent in a checkpoint."""

    Id: Annotated[str, Field(min_length=1, max_length=64)]
    ParentId: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    Name: str | None = None
    Type: OperationType
    SubType: str | None = None
    Action: OperationAction
    Payload: str | None = None
    Error: ErrorObject | None = None
    ContextOptions: _ContextOptions | None = None
    StepOptions: _StepOptions | None = None
    WaitOptions: _WaitOptions | None = None
    CallbackOptions: _CallbackOptions | None = None
    ChainedInvokeOptions: _ChainedInvokeOptions | None = None


class ExecutionState(WireModel):
    """A page of operations, as in the invocation input and ``GetDurableExecutionState``."""

    Operations: tuple[Operation, ...] = ()
    NextMarker: str | None = None


class CheckpointResponse(WireModel):
    """The answer to ``CheckpointDurableExecution``: the next token and the changed operations."""

    CheckpointToken: str | None = None
    NewExecutionState: ExecutionState = ExecutionState()


class InvocationInput(WireModel):
    """The event Lambda hands a durable function on every invocation."""

    DurableExecutionArn: Annotated[str, Field(min_length=1)]
    CheckpointToken: Annotated[str, Field(min_length=1)]
    InitialExecutionState: ExecutionState


class InvocationStatus(StrEnum):
    """How an invocation ended."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"


class InvocationOutput(WireModel):
    """What a durable function returns to Lambda at the end of an invocation."""

    Status: InvocationStatus
    Result: str | None = None
    Error: ErrorObject | None = None
