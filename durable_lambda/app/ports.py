"""The application's ports: what its hosts use of the adapters the container builds.

The local hosts (``LocalOrchestrator``, ``DurableTestRunner``, the command line) play the Lambda
service. They reach the local service through ``LocalService``, never through its class:
``durable_lambda.adapters.local.LocalDurableService`` implements it, and only the container
builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionState,
    InvocationInput,
    InvocationOutput,
    Operation,
    OperationStatus,
    OperationUpdate,
)
from durable_lambda.core.ports import Clock
from durable_lambda.service.history import HistoryEvent
from durable_lambda.service.ports import ExecutionStore
from durable_lambda.service.record import ChainedInvokeRequest, ExecutionRecord, ExecutionSummary
from durable_lambda.service.snapshot import ExecutionSnapshot

__all__ = ["LocalService", "ManualClock"]


class ManualClock(Clock, Protocol):
    """A clock that moves only when told (``FakeClock``): a test runner skips time with it."""

    def advance(self, by: float | timedelta) -> None:
        """Move the time forward by ``by`` seconds (or a ``timedelta``)."""
        ...

    def set(self, moment: datetime) -> None:
        """Move the time to ``moment``."""
        ...


class LocalService(Protocol):
    """The Lambda durable execution service, played on this machine over an ``ExecutionStore``.

    It answers an invocation's calls (the ``DurableService`` port: ``checkpoint``,
    ``get_state``) and the calls the service itself makes or accepts (start an execution, build
    an invocation's input, fire timers, take callback answers, run chained invokes).
    """

    @property
    def store(self) -> ExecutionStore:
        """Where executions are kept."""
        ...

    @property
    def clock(self) -> Clock:
        """The time the service goes by."""
        ...

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Apply ``updates`` in order; return the next token and the operations that changed."""
        ...

    async def get_state(
        self,
        execution_arn: str,
        checkpoint_token: str,
        marker: str,
        max_items: int | None = None,
    ) -> ExecutionState:
        """Return the page of operations that starts at ``marker``."""
        ...

    async def start_execution(
        self,
        function_name: str,
        input_payload: str | None = None,
        arn: str | None = None,
        *,
        name: str | None = None,
        execution_timeout_seconds: int | None = None,
    ) -> str:
        """Start a durable execution and return its ARN."""
        ...

    async def invocation_input(self, arn: str, page_size: int | None = None) -> InvocationInput:
        """Build the next invocation's event; this issues a new checkpoint token."""
        ...

    async def record_invocation(
        self,
        arn: str,
        started: datetime,
        ended: datetime,
        output: InvocationOutput | None,
        *,
        request_id: str | None = None,
        error: ErrorObject | None = None,
    ) -> None:
        """Record a completed invocation and act on its output."""
        ...

    async def advance(self, arn: str) -> bool:
        """Fire every timer due by the clock's now; return whether anything changed."""
        ...

    async def snapshot(self, arn: str) -> ExecutionSnapshot:
        """Return, from one read of the record, everything a run loop asks."""
        ...

    async def next_due(self, arn: str, *, include_deadlines: bool = True) -> datetime | None:
        """Return when the execution's next timer fires."""
        ...

    async def needs_invocation(self, arn: str) -> bool:
        """Whether the handler should be invoked now."""
        ...

    async def has_pending_work(self, arn: str) -> bool:
        """Whether the running execution still waits on a timer, a callback or an invoke."""
        ...

    async def stop_execution(self, arn: str, error: ErrorObject | None = None) -> bool:
        """Stop a running execution; False if it had already ended."""
        ...

    async def send_callback_success(
        self, callback_id: str, payload: str | bytes | None = None
    ) -> Operation:
        """Complete a callback successfully."""
        ...

    async def send_callback_failure(
        self, callback_id: str, error: ErrorObject | None = None
    ) -> Operation:
        """Fail a callback."""
        ...

    async def send_callback_heartbeat(self, callback_id: str) -> Operation:
        """Restart a callback's heartbeat time-out."""
        ...

    async def pending_chained_invokes(self, arn: str) -> list[ChainedInvokeRequest]:
        """Return the chained invokes whose target has not finished, in start order."""
        ...

    async def attach_chained_invoke_execution(
        self, arn: str, operation_id: str, child_execution_arn: str
    ) -> None:
        """Record the durable execution started for a chained invoke's target."""
        ...

    async def complete_chained_invoke(
        self,
        arn: str,
        operation_id: str,
        status: OperationStatus,
        *,
        result: str | None = None,
        error: ErrorObject | None = None,
    ) -> Operation:
        """Complete a chained invoke with its target's outcome."""
        ...

    async def history(self, arn: str, *, include_execution_data: bool = True) -> list[HistoryEvent]:
        """Return the execution's history events, in order."""
        ...

    async def get_record(self, arn: str) -> ExecutionRecord:
        """Return a copy of everything kept for the execution."""
        ...

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every execution, oldest first."""
        ...
