"""History events of a durable execution, as ``GetDurableExecutionHistory`` returns them.

Field names are the service's PascalCase names (botocore's ``Event`` shape and its ``*Details``
shapes), so ``to_wire()`` is what the service would send and a boto3 response validates as is.
Payloads appear as ``{Payload, Truncated}``: the local service records them in full and
:func:`without_execution_data` hides them, as the service does when ``IncludeExecutionData`` is
false.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from durable_lambda.core.model import ErrorObject, Timestamp, WireModel

__all__ = [
    "CallbackFailedDetails",
    "CallbackStartedDetails",
    "CallbackSucceededDetails",
    "CallbackTimedOutDetails",
    "ChainedInvokeFailedDetails",
    "ChainedInvokeStartedDetails",
    "ChainedInvokeStoppedDetails",
    "ChainedInvokeSucceededDetails",
    "ChainedInvokeTimedOutDetails",
    "ContextFailedDetails",
    "ContextStartedDetails",
    "ContextSucceededDetails",
    "EventError",
    "EventInput",
    "EventResult",
    "EventType",
    "ExecutionFailedDetails",
    "ExecutionStartedDetails",
    "ExecutionStoppedDetails",
    "ExecutionSucceededDetails",
    "ExecutionTimedOutDetails",
    "HistoryEvent",
    "InvocationCompletedDetails",
    "RetryDetails",
    "StepFailedDetails",
    "StepStartedDetails",
    "StepSucceededDetails",
    "WaitCancelledDetails",
    "WaitStartedDetails",
    "WaitSucceededDetails",
    "without_execution_data",
]


class EventType(StrEnum):
    """The kinds of history event the service records."""

    EXECUTION_STARTED = "ExecutionStarted"
    EXECUTION_SUCCEEDED = "ExecutionSucceeded"
    EXECUTION_FAILED = "ExecutionFailed"
    EXECUTION_TIMED_OUT = "ExecutionTimedOut"
    EXECUTION_STOPPED = "ExecutionStopped"
    CONTEXT_STARTED = "ContextStarted"
    CONTEXT_SUCCEEDED = "ContextSucceeded"
    CONTEXT_FAILED = "ContextFailed"
    WAIT_STARTED = "WaitStarted"
    WAIT_SUCCEEDED = "WaitSucceeded"
    WAIT_CANCELLED = "WaitCancelled"
    STEP_STARTED = "StepStarted"
    STEP_SUCCEEDED = "StepSucceeded"
    STEP_FAILED = "StepFailed"
    CHAINED_INVOKE_STARTED = "ChainedInvokeStarted"
    CHAINED_INVOKE_SUCCEEDED = "ChainedInvokeSucceeded"
    CHAINED_INVOKE_FAILED = "ChainedInvokeFailed"
    CHAINED_INVOKE_TIMED_OUT = "ChainedInvokeTimedOut"
    CHAINED_INVOKE_STOPPED = "ChainedInvokeStopped"
    CALLBACK_STARTED = "CallbackStarted"
    CALLBACK_SUCCEEDED = "CallbackSucceeded"
    CALLBACK_FAILED = "CallbackFailed"
    CALLBACK_TIMED_OUT = "CallbackTimedOut"
    INVOCATION_COMPLETED = "InvocationCompleted"
    EXECUTION_PAUSED = "ExecutionPaused"
    EXECUTION_RESUMED = "ExecutionResumed"


_EventType = EventType


class EventInput(WireModel):
    """An input payload in an event; ``Truncated`` when the service left the data out."""

    Payload: str | None = None
    Truncated: bool | None = None


class EventResult(WireModel):
    """A result payload in an event."""

    Payload: str | None = None
    Truncated: bool | None = None


class EventError(WireModel):
    """An error in an event."""

    Payload: ErrorObject | None = None
    Truncated: bool | None = None


class RetryDetails(WireModel):
    """Which attempt of a step an event closes, and the delay before the next one."""

    CurrentAttempt: Annotated[int, Field(ge=0)] | None = None
    NextAttemptDelaySeconds: Annotated[int, Field(ge=0)] | None = None


_RetryDetails = RetryDetails


class ExecutionStartedDetails(WireModel):
    """Details of ``ExecutionStarted``."""

    Input: EventInput | None = None
    ExecutionTimeout: int | None = None


class ExecutionSucceededDetails(WireModel):
    """Details of ``ExecutionSucceeded``."""

    Result: EventResult | None = None


class ExecutionFailedDetails(WireModel):
    """Details of ``ExecutionFailed``."""

    Error: EventError | None = None


class ExecutionTimedOutDetails(WireModel):
    """Details of ``ExecutionTimedOut``."""

    Error: EventError | None = None


class ExecutionStoppedDetails(WireModel):
    """Details of ``ExecutionStopped``."""

    Error: EventError | None = None


class ContextStartedDetails(WireModel):
    """Details of ``ContextStarted`` (none)."""


class ContextSucceededDetails(WireModel):
    """Details of ``ContextSucceeded``."""

    Result: EventResult | None = None


class ContextFailedDetails(WireModel):
    """Details of ``ContextFailed``."""

    Error: EventError | None = None


class WaitStartedDetails(WireModel):
    """Details of ``WaitStarted``: the duration and when the wait ends."""

    Duration: int | None = None
    ScheduledEndTimestamp: Timestamp | None = None


class WaitSucceededDetails(WireModel):
    """Details of ``WaitSucceeded``."""

    Duration: int | None = None


class WaitCancelledDetails(WireModel):
    """Details of ``WaitCancelled``."""

    Error: EventError | None = None


class StepStartedDetails(WireModel):
    """Details of ``StepStarted`` (none)."""


class StepSucceededDetails(WireModel):
    """Details of ``StepSucceeded`` (also a wait_for_condition poll that asks to continue)."""

    Result: EventResult | None = None
    RetryDetails: _RetryDetails | None = None


class StepFailedDetails(WireModel):
    """Details of ``StepFailed`` (a failed attempt, retried or final)."""

    Error: EventError | None = None
    RetryDetails: _RetryDetails | None = None


class ChainedInvokeStartedDetails(WireModel):
    """Details of ``ChainedInvokeStarted``: the target and its input."""

    FunctionName: str | None = None
    TenantId: str | None = None
    Input: EventInput | None = None
    ExecutedVersion: str | None = None
    DurableExecutionArn: str | None = None


class ChainedInvokeSucceededDetails(WireModel):
    """Details of ``ChainedInvokeSucceeded``."""

    Result: EventResult | None = None


class ChainedInvokeFailedDetails(WireModel):
    """Details of ``ChainedInvokeFailed``."""

    Error: EventError | None = None


class ChainedInvokeTimedOutDetails(WireModel):
    """Details of ``ChainedInvokeTimedOut``."""

    Error: EventError | None = None


class ChainedInvokeStoppedDetails(WireModel):
    """Details of ``ChainedInvokeStopped``."""

    Error: EventError | None = None


class CallbackStartedDetails(WireModel):
    """Details of ``CallbackStarted``: the callback id and its time-outs (seconds)."""

    CallbackId: str | None = None
    HeartbeatTimeout: int | None = None
    Timeout: int | None = None


class CallbackSucceededDetails(WireModel):
    """Details of ``CallbackSucceeded``."""

    Result: EventResult | None = None


class CallbackFailedDetails(WireModel):
    """Details of ``CallbackFailed``."""

    Error: EventError | None = None


class CallbackTimedOutDetails(WireModel):
    """Details of ``CallbackTimedOut``."""

    Error: EventError | None = None


class InvocationCompletedDetails(WireModel):
    """Details of ``InvocationCompleted``: one Lambda invocation of the handler."""

    StartTimestamp: Timestamp
    EndTimestamp: Timestamp
    RequestId: str
    Error: EventError | None = None


# A field named like its type would shadow the type inside the class body.
_ExecutionStartedDetails = ExecutionStartedDetails
_ExecutionSucceededDetails = ExecutionSucceededDetails
_ExecutionFailedDetails = ExecutionFailedDetails
_ExecutionTimedOutDetails = ExecutionTimedOutDetails
_ExecutionStoppedDetails = ExecutionStoppedDetails
_ContextStartedDetails = ContextStartedDetails
_ContextSucceededDetails = ContextSucceededDetails
_ContextFailedDetails = ContextFailedDetails
_WaitStartedDetails = WaitStartedDetails
_WaitSucceededDetails = WaitSucceededDetails
_WaitCancelledDetails = WaitCancelledDetails
_StepStartedDetails = StepStartedDetails
_StepSucceededDetails = StepSucceededDetails
_StepFailedDetails = StepFailedDetails
_ChainedInvokeStartedDetails = ChainedInvokeStartedDetails
_ChainedInvokeSucceededDetails = ChainedInvokeSucceededDetails
_ChainedInvokeFailedDetails = ChainedInvokeFailedDetails
_ChainedInvokeTimedOutDetails = ChainedInvokeTimedOutDetails
_ChainedInvokeStoppedDetails = ChainedInvokeStoppedDetails
_CallbackStartedDetails = CallbackStartedDetails
_CallbackSucceededDetails = CallbackSucceededDetails
_CallbackFailedDetails = CallbackFailedDetails
_CallbackTimedOutDetails = CallbackTimedOutDetails
_InvocationCompletedDetails = InvocationCompletedDetails


class HistoryEvent(WireModel):
    """One event of an execution's history; exactly one ``*Details`` field is set.

    ``EventId`` counts from 1 in the order events were recorded. ``Id``, ``Name``, ``ParentId``
    and ``SubType`` are those of the operation the event is about (absent for
    ``InvocationCompleted``).
    """

    EventType: _EventType
    SubType: str | None = None
    EventId: Annotated[int, Field(ge=1)]
    Id: str | None = None
    Name: str | None = None
    ParentId: str | None = None
    EventTimestamp: Timestamp
    ExecutionStartedDetails: _ExecutionStartedDetails | None = None
    ExecutionSucceededDetails: _ExecutionSucceededDetails | None = None
    ExecutionFailedDetails: _ExecutionFailedDetails | None = None
    ExecutionTimedOutDetails: _ExecutionTimedOutDetails | None = None
    ExecutionStoppedDetails: _ExecutionStoppedDetails | None = None
    ContextStartedDetails: _ContextStartedDetails | None = None
    ContextSucceededDetails: _ContextSucceededDetails | None = None
    ContextFailedDetails: _ContextFailedDetails | None = None
    WaitStartedDetails: _WaitStartedDetails | None = None
    WaitSucceededDetails: _WaitSucceededDetails | None = None
    WaitCancelledDetails: _WaitCancelledDetails | None = None
    StepStartedDetails: _StepStartedDetails | None = None
    StepSucceededDetails: _StepSucceededDetails | None = None
    StepFailedDetails: _StepFailedDetails | None = None
    ChainedInvokeStartedDetails: _ChainedInvokeStartedDetails | None = None
    ChainedInvokeSucceededDetails: _ChainedInvokeSucceededDetails | None = None
    ChainedInvokeFailedDetails: _ChainedInvokeFailedDetails | None = None
    ChainedInvokeTimedOutDetails: _ChainedInvokeTimedOutDetails | None = None
    ChainedInvokeStoppedDetails: _ChainedInvokeStoppedDetails | None = None
    CallbackStartedDetails: _CallbackStartedDetails | None = None
    CallbackSucceededDetails: _CallbackSucceededDetails | None = None
    CallbackFailedDetails: _CallbackFailedDetails | None = None
    CallbackTimedOutDetails: _CallbackTimedOutDetails | None = None
    InvocationCompletedDetails: _InvocationCompletedDetails | None = None

    @property
    def details(self) -> WireModel | None:
        """The event's ``<EventType>Details`` object."""
        value = getattr(self, f"{self.EventType.value}Details", None)
        return value if isinstance(value, WireModel) else None


_PAYLOAD_HOLDERS = frozenset({"Input", "Result", "Error"})


def without_execution_data(event: HistoryEvent) -> HistoryEvent:
    """Return ``event`` with its payloads left out, as when ``IncludeExecutionData`` is false.

    Every ``Input``, ``Result`` and ``Error`` in the details becomes ``{"Truncated": true}``.

    Args:
        event: A recorded event.

    Returns:
        The same event without execution data.
    """
    data = event.model_dump(exclude_none=True)
    for key, value in data.items():
        if key.endswith("Details") and isinstance(value, dict):
            _truncate(value)
    return HistoryEvent.model_validate(data)


def _truncate(details: dict[str, Any]) -> None:
    for name in _PAYLOAD_HOLDERS & details.keys():
        details[name] = {"Truncated": True}
