"""The local orchestrator: plays the Lambda service for handlers run on a laptop or in CI.

It starts executions on an execution store (in memory or on disk), invokes the handler in-process
with the same invocation input and output as Lambda, records history, fires wait timers and step
retries when they come due, times out callbacks and heartbeats, runs chained invokes of locally
registered functions, and invokes again until the execution ends. Executions a previous process
left in progress are picked up by ``resume_all``.

Each execution is driven by ``durable_lambda.app.driver.ExecutionDriver``, the loop the test
runner uses too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Literal

from durable_lambda.app.chained_invokes import ChainedInvokeRunner, FunctionRegistry
from durable_lambda.app.container import local_container
from durable_lambda.app.definition import Environment, settings_with
from durable_lambda.app.definition import checkpoint_mode as parse_mode
from durable_lambda.app.driver import (
    CountingService,
    DriverHost,
    ExecutionDriver,
    ExecutionStuckError,
    Progress,
)
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.loading import load_handler
from durable_lambda.app.local_lambda_context import (
    DEFAULT_LAMBDA_TIMEOUT,
    LocalLambdaContext,
    timeout_seconds,
)
from durable_lambda.app.ports import LocalService
from durable_lambda.app.replayer import Replayer, ReplayReport
from durable_lambda.core.config import CheckpointMode, Duration
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.ports import Clock
from durable_lambda.service.history import EventType
from durable_lambda.service.ports import (
    ExecutionLockedError,
    ExecutionStore,
    LockingExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus
from durable_lambda.service.snapshot import ExecutionSnapshot

__all__ = [
    "CountingService",
    "DriverHost",
    "ExecutionDriver",
    "ExecutionStuckError",
    "LocalOrchestrator",
    "Progress",
    "ReplayReport",
]


class LocalOrchestrator:
    """Runs durable executions locally on an execution store (see the module docstring).

    Its environment comes from the composition root (``local_container``): the local service
    over ``store``, the clock, the logger and randomness.

    Args:
        store: Where executions are kept: ``FileExecutionStore``, ``InMemoryExecutionStore``,
            or any ``ExecutionStore`` of your own (see ``docs/storage-adapters.md``).
        clock: The clock; the system clock by default, a ``FakeClock`` to skip time.
        functions: What ``ctx.invoke`` can call, by function name (durable handlers or plain
            functions of the payload).
        checkpoint_mode: Run every handler in this checkpoint mode; None (the default) runs
            each in the mode it was decorated with.
        poll_interval: How often, while waiting, the store is checked for outside changes.
        lambda_timeout: The time-out of each invocation's ``LocalLambdaContext`` (the
            handler's ``ctx.lambda_context``, and its deadline): 15 minutes, Lambda's longest,
            by default.
        skip_time: Go by a clock that jumps to each timer (``SkipClock``; not with ``clock``):
            waits and step retries end at once, and so does the execution's time-out while no
            callback is open; a callback's time-outs still come in real time, so that someone
            can answer it first.

    Raises:
        ValidationError: ``checkpoint_mode`` names no mode, a function is not a handler,
            ``lambda_timeout`` is not a positive span of time, or both ``clock`` and
            ``skip_time`` are given.
    """

    def __init__(
        self,
        store: ExecutionStore,
        *,
        clock: Clock | None = None,
        functions: Mapping[str, Any] | None = None,
        checkpoint_mode: CheckpointMode | str | None = None,
        poll_interval: float = 0.2,
        lambda_timeout: Duration | timedelta | float = DEFAULT_LAMBDA_TIMEOUT,
        skip_time: bool = False,
    ) -> None:
        if clock is not None and skip_time:
            raise ValidationError("give a clock or skip_time, not both", field="skip_time")
        self.lambda_timeout = timeout_seconds(lambda_timeout, "lambda_timeout")
        self.registry = FunctionRegistry(functions or {})
        self.container = local_container(
            store=store,
            clock=clock or ("skip" if skip_time else "system"),
            invoke_refusal=self.registry.refusal,
        )
        self.skip_time = skip_time
        self.store = store
        self.clock: Clock = self.container.clock()
        self.local_service: LocalService = self.container.local_service()
        self.counting_service = CountingService(self.local_service)
        self.chained_invokes = ChainedInvokeRunner(self.registry)
        # Checked now: a wrong mode is refused before anything runs.
        self.checkpoint_mode = None if checkpoint_mode is None else parse_mode(checkpoint_mode)
        self.wait_for_outside = True
        self.poll_interval = poll_interval

    def environment(self) -> Environment:
        """Return the environment invocations run in: the container's, counting checkpoints.

        Each gets a new ``LocalLambdaContext`` whose time-out is ``lambda_timeout``.
        """
        environment: Environment = self.container.environment()
        context = LocalLambdaContext(timeout=self.lambda_timeout)
        return dataclasses.replace(
            environment, service=self.counting_service, lambda_context=context
        )

    def _function(self, target: str) -> DurableFunction[Any]:
        # Loaded as Lambda would run it: a bare async def is refused, saying how to fix it.
        function = load_handler(target, as_lambda=True)
        if self.checkpoint_mode is None:
            return function
        return function.with_settings(
            settings_with(function.settings, checkpoint_mode=self.checkpoint_mode)
        )

    async def start(self, target: str, event: Any, *, name: str | None = None) -> str:
        """Start an execution of ``target`` (kept as its function name) and return its ARN.

        Raises:
            ValidationError: the target cannot be loaded, or is not a decorated handler.
        """
        self._function(target)  # fail fast on a bad target, before anything is stored
        return await self.local_service.start_execution(target, json.dumps(event), name=name)

    async def run(
        self,
        arn: str,
        *,
        until: Literal["end", "suspended"] = "end",
        answers: Mapping[str, Any] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ExecutionRecord:
        """Drive the execution until it ends (or, with ``until="suspended"``, until it waits).

        Args:
            arn: The execution.
            until: ``end`` waits through timers and for callbacks from outside; ``suspended``
                returns as soon as the execution waits on a timer or a callback.
            answers: Callback answers by callback name (or the name of the context the callback
                was created in), sent as soon as such a callback waits.
            on_progress: Called after every invocation.

        Raises:
            ExecutionLockedError: another process drives this execution (stores shared between
                processes, like the file store, lock each execution while it is driven).
        """
        guard = (
            self.store.lock(arn)
            if isinstance(self.store, LockingExecutionStore)
            else contextlib.nullcontext()
        )
        async with guard:
            return await self._run(arn, until, answers, on_progress)

    async def _run(
        self,
        arn: str,
        until: Literal["end", "suspended"],
        answers: Mapping[str, Any] | None,
        on_progress: Callable[[Progress], None] | None,
    ) -> ExecutionRecord:
        record = await self.local_service.get_record(arn)
        driver = ExecutionDriver(self, arn, self._function(record.function_name))
        driver.on_progress = on_progress
        # Lambda retries an invocation whose process died; a resumed run does the same.
        driver.pending_work = _invocation_interrupted(record)
        pending_answers = dict(answers or {})

        def blocked() -> bool:
            # Suspended: after an invocation that suspended; or, before any (a resumed
            # execution), when only the outside world can move it on (a callback nobody has
            # answered yet), as a timer that comes by itself would run the next invocation.
            if until != "suspended" or driver.pending_work:
                return False
            return bool(driver.invocations) or _waits_on_outside(
                driver.seen, self.clock, skip_time=self.skip_time
            )

        while True:
            await driver.drive(
                until=lambda: (
                    bool(pending_answers and _open_callback(driver, pending_answers)) or blocked()
                ),
                skip_deadlines=False,
            )
            answered = await self._answer(driver, pending_answers)
            record = await self.local_service.get_record(arn)
            if record.status.is_terminal or (not answered and blocked()):
                return record

    async def _answer(self, driver: ExecutionDriver, answers: dict[str, Any]) -> bool:
        found = _open_callback(driver, answers)
        if found is None:
            return False
        name, callback_id = found
        await self.local_service.send_callback_success(callback_id, json.dumps(answers.pop(name)))
        return True

    async def resume_all(
        self, *, until: Literal["end", "suspended"] = "end"
    ) -> list[ExecutionRecord]:
        """Drive every execution the store holds that is still running.

        Executions another process is driving are left to it.
        """
        finished = []
        for summary in await self.store.list_executions():
            if summary.Status is not ExecutionStatus.RUNNING:
                continue
            try:
                finished.append(await self.run(summary.DurableExecutionArn, until=until))
            except ExecutionLockedError:
                continue
        return finished

    async def replay(self, target: str, arn: str, *, shallow: bool = False) -> ReplayReport:
        """Replay ``target``'s code over the recorded execution ``arn``, executing nothing.

        See ``durable_lambda.app.replayer.Replayer``: the report lists what matched, what the
        code never reached, and the first divergence.

        Args:
            target: The handler (``path/to/file.py:handler`` or ``package.module:handler``).
            arn: The execution, in this orchestrator's store.
            shallow: Read completed contexts' results instead of replaying their children.

        Raises:
            ValidationError: the target cannot be loaded.
            ExecutionNotFoundError: no such execution.
        """
        record = await self.local_service.get_record(arn)
        return await Replayer(load_handler(target), shallow=shallow).replay(record)


def _invocation_interrupted(record: ExecutionRecord) -> bool:
    """Whether the last invocation of ``record`` began but never ended (its process died).

    Building an invocation's input marks every change delivered, so after such a crash nothing
    is undelivered and, without a new invocation, the execution would wait for ever on work
    only that invocation would have done. Its traces: history after the last
    ``InvocationCompleted`` (or none at all), a step retry it was handed (READY), or a step it
    was running (STARTED). An invocation that suspended cleanly leaves none of them.
    """
    if record.status.is_terminal or record.undelivered:
        return False
    completed = [
        index
        for index, event in enumerate(record.history)
        if event.EventType is EventType.INVOCATION_COMPLETED
    ]
    if not completed or completed[-1] < len(record.history) - 1:
        return True
    return any(
        op.Status is OperationStatus.READY
        or (op.Type is OperationType.STEP and op.Status is OperationStatus.STARTED)
        for op in record.operations.values()
    )


def _waits_on_outside(seen: ExecutionSnapshot | None, clock: Clock, *, skip_time: bool) -> bool:
    """Whether the execution, as last read, can only wait for the outside world.

    Nothing to invoke, no chained invoke to run, no timer due, and no wait or retry that comes
    by itself before a deadline the outside world may beat (a callback's time-out; with
    ``skip_time`` and no callback open, the execution's time-out is skipped to instead).
    """
    if seen is None or seen.needs_invocation or seen.pending_invokes:
        return False
    due = seen.next_due
    if due is not None and due <= clock.now():
        return False
    timer = seen.next_timer
    if timer is None:
        return True
    deadline_first = due is not None and due < timer
    callback_open = any(
        op.Type is OperationType.CALLBACK and op.Status is OperationStatus.STARTED
        for op in seen.operations
    )
    return deadline_first and not (skip_time and not callback_open)


def _open_callback(driver: ExecutionDriver, answers: Mapping[str, Any]) -> tuple[str, str] | None:
    seen = driver.seen
    if seen is None:
        return None
    for op in seen.operations:
        if (
            op.Type is OperationType.CALLBACK
            and op.Status is OperationStatus.STARTED
            and op.CallbackDetails is not None
            and op.CallbackDetails.CallbackId
        ):
            for name in (op.Name, seen.parent_name(op)):
                if name is not None and name in answers:
                    return name, op.CallbackDetails.CallbackId
    return None
