"""The in-memory test runner behind ``durable_lambda.testing``.

It plays the Lambda service for one handler: starts an execution on an in-memory store, invokes
the handler as Lambda would (the same invocation input and output, through the same entry point),
fires timers by skipping a fake clock, lets the test answer callbacks, and re-invokes until the
execution ends. Nothing sleeps: a three-day wait completes at once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from durable_lambda.app.chained_invokes import ChainedInvokeRunner, FunctionRegistry
from durable_lambda.app.container import local_container
from durable_lambda.app.definition import (
    Environment,
    ServiceLimits,
    checkpoint_mode,
    settings_with,
)
from durable_lambda.app.driver import CountingService, ExecutionStuckError
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.local_lambda_context import (
    DEFAULT_LAMBDA_TIMEOUT,
    LocalLambdaContext,
    timeout_seconds,
)
from durable_lambda.app.ports import LocalService, ManualClock
from durable_lambda.app.testing_execution import (
    CallbackHandle,
    ExecutionResult,
    OperationView,
    TestExecution,
)
from durable_lambda.app.testing_sync import (
    SyncCallbackHandle,
    SyncRunnerError,
    SyncTestExecution,
    SyncTestRunner,
)
from durable_lambda.core.config import CheckpointMode, Duration
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.service.ports import ExecutionStore

__all__ = [
    "CallbackHandle",
    "CountingService",
    "DurableTestRunner",
    "ExecutionResult",
    "ExecutionStuckError",
    "OperationView",
    "SyncCallbackHandle",
    "SyncRunnerError",
    "SyncTestExecution",
    "SyncTestRunner",
    "TestExecution",
]


class DurableTestRunner:
    """Runs a durable handler to completion in memory, with time skipped.

    It is a host like Lambda: the function keeps the settings it was decorated with (serializer,
    plugins, checkpoint mode, logger) and runs in an environment from the composition root
    (``local_container``): the local service over an in-memory store (or ``store``), a fake
    clock (or ``clock``), the structlog logger and randomness. ``runner.container`` holds it:
    override a provider to swap one (``runner.container.random.override(...)``).

    Args:
        handler: A ``@durable_execution`` function, or a bare ``async def handler(event, ctx)``.
        checkpoint_mode: Run in this mode instead of the function's own (default: its own).
        always_replay: End every invocation after each newly completed operation, so that the
            handler is replayed from the top again and again: non-determinism shows at once.
        log_during_replay: Log during replay or not, instead of as the function says.
        start_time: Where the fake clock starts.
        function_name: The name executions are started under.
        functions: What ``ctx.invoke`` can call, by function name: durable handlers
            (``@durable_execution`` objects or bare ``async def handler(event, ctx)``), each run
            as an execution of its own, and plain functions of the payload (sync or async),
            called once. Invoking any other name fails with ``ResourceNotFoundException``.
        plugins: Instrumentation plugins for every invocation, after the function's own.
        store: Keep executions in this ``ExecutionStore`` (any store of your own; see
            ``docs/storage-adapters.md``) instead of in memory.
        clock: Go by this clock (a ``FakeClock``) instead of a new one.
        lambda_timeout: The time-out of each invocation's ``LocalLambdaContext`` (the handler's
            ``ctx.lambda_context``), 15 minutes by default: a ``Duration``, a ``timedelta`` or
            seconds. Its remaining time is real time, so a short one makes the invocation's
            deadline (``durable_execution(deadline_margin=...)``) stop a slow step attempt as
            Lambda's time-out would come.

    Raises:
        ValidationError: ``checkpoint_mode`` names no mode, ``handler`` is not an ``async def``,
            a function is not a handler, both ``start_time`` and ``clock`` are given, or
            ``lambda_timeout`` is not a positive span of time.

    Two ways to use it: ``async with DurableTestRunner(handler) as runner`` (or no block at all)
    in a coroutine, whose calls are awaited (``await runner.run(event)``); or ``with
    DurableTestRunner(handler) as runner`` in a plain test, which gives a ``SyncTestRunner``
    whose calls block (``runner.run(event)``), on an event loop of its own for as long as the
    block lasts.

    Example:
        >>> async def test_order() -> None:
        ...     async with DurableTestRunner(handler) as runner:
        ...         run = await runner.start({"orderId": "o-1"})
        ...         result = await run.result()
        ...     assert result.status == "SUCCEEDED"
        >>> def test_order_in_a_plain_test() -> None:
        ...     with DurableTestRunner(handler) as runner:
        ...         result = runner.run({"orderId": "o-1"})
        ...     assert result.status == "SUCCEEDED"
    """

    def __init__(
        self,
        handler: DurableFunction[Any] | Callable[[Any, DurableContext], Awaitable[Any]],
        *,
        checkpoint_mode: CheckpointMode | str | None = None,
        always_replay: bool = False,
        log_during_replay: bool | None = None,
        start_time: datetime | None = None,
        function_name: str = "test-function",
        functions: Mapping[str, Any] | None = None,
        plugins: Sequence[InstrumentationPlugin] = (),
        store: ExecutionStore | None = None,
        clock: ManualClock | None = None,
        lambda_timeout: Duration | timedelta | float = DEFAULT_LAMBDA_TIMEOUT,
    ) -> None:
        if start_time is not None and clock is not None:
            raise ValidationError("give start_time or clock, not both", field="start_time")
        # Checked now; each invocation gets a LocalLambdaContext with this time-out.
        self.lambda_timeout = timeout_seconds(lambda_timeout, "lambda_timeout")
        function = handler if isinstance(handler, DurableFunction) else DurableFunction(handler)
        self.function: DurableFunction[Any] = function.with_settings(
            settings_with(
                function.settings,
                checkpoint_mode=_mode(checkpoint_mode),
                log_during_replay=log_during_replay,
                plugins=plugins,
            )
        )
        registry = FunctionRegistry(functions or {})
        self.container = local_container(
            store=store,
            clock=clock or "fake",
            start_time=start_time,
            invoke_refusal=registry.refusal,
        )
        self.clock: ManualClock = self.container.clock()
        self.store: ExecutionStore = self.container.execution_store()
        self.local_service: LocalService = self.container.local_service()
        self.chained_invokes = ChainedInvokeRunner(registry)
        self.counting_service = CountingService(self.local_service)
        self.always_replay = always_replay
        self.limits = ServiceLimits()
        self.function_name = function_name
        self.wait_for_outside = False  # a test answers callbacks itself; nobody else will
        self.poll_interval = 0.0
        self.skip_time = False  # the fake clock jumps anyway; deadlines skip as each call says
        self._blocking: SyncTestRunner | None = None  # inside `with`: the blocking runner

    def environment(self) -> Environment:
        """Return the environment each invocation runs in (built anew: overrides take effect).

        The container's adapters, with checkpoint calls counted, ``always_replay``,
        ``limits`` (the service limits: lower them to test what happens at a limit) and a new
        ``LocalLambdaContext`` whose time-out is ``lambda_timeout``.
        """
        environment: Environment = self.container.environment()
        return dataclasses.replace(
            environment,
            service=self.counting_service,
            always_replay=self.always_replay,
            limits=self.limits,
            lambda_context=LocalLambdaContext(
                timeout=self.lambda_timeout, function_name=self.function_name
            ),
        )

    async def __aenter__(self) -> DurableTestRunner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def __enter__(self) -> SyncTestRunner:
        """Return the runner for a plain (synchronous) test, its calls blocking: ``SyncTestRunner``.

        An event loop of the runner's own runs on a thread of its own until the ``with`` block
        ends.

        Raises:
            SyncRunnerError: the runner is inside a ``with`` block already.
        """
        if self._blocking is not None:
            raise SyncRunnerError("this DurableTestRunner is inside a `with` block already")
        self._blocking = SyncTestRunner(self)
        return self._blocking

    def __exit__(self, *exc_info: object) -> None:
        blocking, self._blocking = self._blocking, None
        if blocking is not None:
            blocking.close()

    async def start(self, event: Any = None) -> TestExecution:
        """Start an execution with ``event`` as its input; nothing runs until it is driven."""
        arn = await self.local_service.start_execution(self.function_name, json.dumps(event))
        return TestExecution(self, arn)

    async def run(self, event: Any = None) -> ExecutionResult:
        """Start an execution and drive it to its end."""
        execution = await self.start(event)
        return await execution.result()


def _mode(value: CheckpointMode | str | None) -> CheckpointMode | None:
    return None if value is None else checkpoint_mode(value)
