"""The loop that drives one execution locally: invoke, fire timers, run chained invokes.

``ExecutionDriver`` serves both the test runner (a fake clock: time skips instantly) and the local
orchestrator behind the command line (the system clock: it sleeps until the next timer and polls
the store, so that callbacks sent by another process are seen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from durable_lambda.app.chained_invokes import ChainedInvokeRunner
from durable_lambda.app.definition import Environment
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.ports import LocalService
from durable_lambda.core.errors import DurableExecutionError, InvocationError
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    InvocationOutput,
    InvocationStatus,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import Clock, DurableService
from durable_lambda.service.snapshot import ExecutionSnapshot

__all__ = ["CountingService", "DriverHost", "ExecutionDriver", "ExecutionStuckError", "Progress"]


_MAX_INVOCATION_RETRIES = 3


class ExecutionStuckError(DurableExecutionError):
    """The execution cannot progress: it waits on something nobody will provide."""


class CountingService:
    """Wraps a ``DurableService`` and counts the checkpoint calls and updates that go through it."""

    def __init__(self, inner: DurableService) -> None:
        self.inner = inner
        self.checkpoint_calls = 0
        self.updates_sent = 0

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Forward a checkpoint call, counting it."""
        self.checkpoint_calls += 1
        self.updates_sent += len(updates)
        return await self.inner.checkpoint(execution_arn, checkpoint_token, updates, client_token)

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        """Forward a state page request."""
        return await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)


@dataclass(frozen=True)
class Progress:
    """What the orchestrator reports after each invocation.

    Attributes:
        arn: The execution.
        invocation: How many invocations it has had in this run.
        status: The last invocation's output status.
        completed_operations: Operations that have ended so far.
        open_callbacks: Callbacks waiting for an answer: (name, callback id).
        next_timer: When the next wait or retry fires, if any.
    """

    arn: str
    invocation: int
    status: str
    completed_operations: int
    open_callbacks: tuple[tuple[str | None, str], ...]
    next_timer: datetime | None


class DriverHost(Protocol):
    """What an ``ExecutionDriver`` needs from its host (the orchestrator, the test runner)."""

    @property
    def local_service(self) -> LocalService:
        """The local service the execution lives on."""
        ...

    @property
    def counting_service(self) -> CountingService:
        """The service handed to invocations, counting checkpoint calls."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock timers are measured against."""
        ...

    @property
    def chained_invokes(self) -> ChainedInvokeRunner:
        """Runs the targets of chained invokes."""
        ...

    @property
    def wait_for_outside(self) -> bool:
        """Whether to wait for callbacks from outside when nothing else can progress."""
        ...

    @property
    def poll_interval(self) -> float:
        """How often to look for outside changes while waiting, in seconds."""
        ...

    @property
    def skip_time(self) -> bool:
        """Whether to jump the clock to the next timer at once, even while waiting for outside.

        Waits and retries then end at once, and so does the execution's time-out while no
        callback is open; a callback's time-outs still come in the clock's own time, for
        someone to answer it first (``durable-lambda run --skip-time``).
        """
        ...

    def environment(self) -> Environment:
        """Return the environment the next invocation runs in (through ``counting_service``)."""
        ...


class ExecutionDriver:
    """Drives one execution: invokes, fires timers, runs chained invokes, until a condition holds.

    Each turn of the loop reads the execution once (``LocalService.snapshot``) and decides
    from that read alone; ``seen`` keeps it for the host's conditions.

    Args:
        host: The orchestrator or test runner that owns the service, clock and environment.
        arn: The execution to drive.
        function: The durable function of the execution, with the settings it runs with.

    Attributes:
        seen: The execution as the last turn read it (None before the first).
        invocations: The outputs of the invocations this driver made.
        pending_work: Invoke on the next turn even if nothing changed (a callback answered
            from the test, an always-replay stop, an interrupted invocation).
    """

    def __init__(self, host: DriverHost, arn: str, function: DurableFunction[Any]) -> None:
        self.runner = host
        self.arn = arn
        self.function = function
        self.service: LocalService = host.local_service
        self.invocations: list[InvocationOutput] = []
        self.pending_work = False
        self.seen: ExecutionSnapshot | None = None
        self.on_progress: Callable[[Progress], None] | None = None

    @property
    def operations_seen(self) -> tuple[Operation, ...]:
        """The execution's operations as the last turn read them."""
        return self.seen.operations if self.seen is not None else ()

    def spawn(self, arn: str, function: DurableFunction[Any]) -> ExecutionDriver:
        """Return a driver of the same kind for another execution (a chained invoke's target)."""
        return type(self)(self.runner, arn, function)

    async def drive(self, until: Callable[[], bool] | None, skip_deadlines: bool) -> None:
        """Run invocations and fire timers until the execution ends or ``until()`` holds.

        Raises:
            ExecutionStuckError: nothing can make progress and the host does not wait for the
                outside world (a test that never answers a callback).
        """
        while True:
            seen = self.seen = await self.service.snapshot(self.arn)
            if seen.status.is_terminal or (until is not None and until()):
                return
            if self.pending_work or seen.needs_invocation:
                await self._invoke()
                continue
            if seen.pending_invokes and await self.runner.chained_invokes.run_pending(
                self, seen.pending_invokes, skip_deadlines=skip_deadlines
            ):
                continue
            if _timer_due(seen, self.runner.clock) and await self.service.advance(self.arn):
                continue
            skip_all = skip_deadlines or (self.runner.skip_time and not _callback_open(seen))
            target = _time_to_skip_to(seen, skip_all)
            if target is None:
                if self.runner.wait_for_outside:
                    await asyncio.sleep(self.runner.poll_interval)
                    continue
                if until is None:
                    raise ExecutionStuckError(
                        "the execution waits on a callback or invoke that nobody answers",
                        execution_arn=self.arn,
                    )
                return
            await self._sleep_until(target)

    async def _sleep_until(self, target: datetime) -> None:
        clock = self.runner.clock
        if self.runner.wait_for_outside and not self.runner.skip_time:
            # Wake up regularly: another process may answer a callback meanwhile.
            target = min(target, clock.now() + timedelta(seconds=self.runner.poll_interval))
        await clock.sleep_until(target)

    async def _invoke(self) -> None:
        self.pending_work = False
        event = (await self.service.invocation_input(self.arn)).to_wire()
        clock = self.runner.clock
        started = clock.now()
        counting = self.runner.counting_service
        for attempt in range(_MAX_INVOCATION_RETRIES + 1):
            # Each attempt its own environment, as Lambda gives a retried invocation a new
            # context (and with it a new deadline).
            environment = self.runner.environment()
            calls_before = counting.checkpoint_calls
            try:
                output = await self.function.invoke_model(event, environment)
                break
            except InvocationError:
                # Lambda retries an invocation that raised; so does the orchestrator, a few times.
                if attempt == _MAX_INVOCATION_RETRIES:
                    raise
                event = (await self.service.invocation_input(self.arn)).to_wire()
        self.invocations.append(output)
        progressed = counting.checkpoint_calls > calls_before
        pending = output.Status is InvocationStatus.PENDING
        if pending and environment.always_replay and progressed:
            # Always-replay mode ended the invocation after an operation completed: replay
            # from the top at once, before any time passes. With nothing pending the real
            # service would call PENDING an error, so such an invocation is not recorded.
            self.pending_work = True
            if not await self.service.has_pending_work(self.arn):
                return
        await self.service.record_invocation(self.arn, started, clock.now(), output)
        if self.on_progress is not None:
            self.on_progress(_progress(self, output, await self.service.snapshot(self.arn)))


def _timer_due(seen: ExecutionSnapshot, clock: Clock) -> bool:
    """Whether a timer has come due: only then can firing timers change anything (a write)."""
    return seen.next_due is not None and seen.next_due <= clock.now()


def _callback_open(seen: ExecutionSnapshot) -> bool:
    """Whether a callback of the execution waits for an answer."""
    return any(
        op.Type is OperationType.CALLBACK and op.Status is OperationStatus.STARTED
        for op in seen.operations
    )


def _time_to_skip_to(seen: ExecutionSnapshot, skip_deadlines: bool) -> datetime | None:
    """Return the next timer to go to; never past a callback deadline someone may beat."""
    due = seen.next_due
    if due is None or skip_deadlines:
        return due
    due_timer = seen.next_timer
    if due_timer is None or due_timer > due:
        return None
    return due_timer


def _progress(
    driver: ExecutionDriver, output: InvocationOutput, seen: ExecutionSnapshot
) -> Progress:
    operations = seen.operations
    return Progress(
        arn=driver.arn,
        invocation=len(driver.invocations),
        status=output.Status.value,
        completed_operations=sum(
            1
            for op in operations
            if op.Status.is_terminal and op.Type is not OperationType.EXECUTION
        ),
        open_callbacks=tuple(
            (op.Name or seen.parent_name(op), op.CallbackDetails.CallbackId)
            for op in operations
            if op.Type is OperationType.CALLBACK
            and op.Status is OperationStatus.STARTED
            and op.CallbackDetails is not None
            and op.CallbackDetails.CallbackId
        ),
        next_timer=seen.next_timer,
    )
