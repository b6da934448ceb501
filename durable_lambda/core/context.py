"""``DurableContext``: what a durable handler is given, and through which every durable call goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, overload

from durable_lambda.core.config import ChildConfig, Duration, StepConfig
from durable_lambda.core.ids import OperationIdSequence
from durable_lambda.core.model import OperationType
from durable_lambda.core.operations.child import run_child_context
from durable_lambda.core.operations.step import run_step
from durable_lambda.core.operations.wait import run_wait
from durable_lambda.core.ports import Logger
from durable_lambda.core.runtime import ExecutionRuntime
from durable_lambda.core.state import OperationIdentity

__all__ = ["DurableContext", "StepContext"]

T = TypeVar("T")


class StepContext:
    """What a step's function is given: which attempt this is, and a logger bound to the step.

    Attributes:
        operation_id: The step's deterministic operation id.
        name: The step's name, if it has one.
        attempt: The 1-based number of this attempt.
        logger: A logger bound with the execution, the step and the attempt.
    """

    __slots__ = ("attempt", "logger", "name", "operation_id")

    def __init__(self, operation_id: str, name: str | None, attempt: int, logger: Logger) -> None:
        self.operation_id = operation_id
        self.name = name
        self.attempt = attempt
        self.logger = logger


class DurableContext:
    """The handle a durable handler uses for every durable operation.

    Every method is awaited. Each call takes the next deterministic operation id of this context;
    if the operation was checkpointed by an earlier invocation its stored outcome is replayed,
    otherwise it runs and is checkpointed. Code between durable calls must be deterministic: it
    runs again on every replay.

    Example:
        >>> async def handler(event: dict, ctx: DurableContext) -> str:
        ...     order = await ctx.step(lambda s: create_order(event), name="create-order")
        ...     await ctx.wait(Duration.from_days(1), name="cool-off")
        ...     return order["id"]
    """

    __slots__ = ("_ids", "_logger", "parent_id", "runtime")

    def __init__(
        self, runtime: ExecutionRuntime, parent_id: str | None = None, logger: Logger | None = None
    ) -> None:
        self.runtime = runtime
        self.parent_id = parent_id
        self._ids = OperationIdSequence(parent_id)
        self._logger = logger or runtime.logger

    @property
    def execution_arn(self) -> str:
        """The ARN of the durable execution this context belongs to."""
        return self.runtime.execution_arn

    @property
    def logger(self) -> Logger:
        """A structured logger bound to this execution; silent while replaying by default."""
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        """Replace this context's logger (child contexts created afterwards inherit it).

        The new logger is still wrapped so that it stays silent during replay.
        """
        from durable_lambda.core.logging import ReplayAwareLogger

        self._logger = ReplayAwareLogger(
            logger,
            self.runtime.is_replaying,
            log_during_replay=self.runtime.options.log_during_replay,
        )

    def is_replaying(self) -> bool:
        """Whether the code is still replaying operations checkpointed by earlier invocations."""
        return self.runtime.is_replaying()

    @overload
    async def step(
        self,
        fn: Callable[[StepContext], Coroutine[Any, Any, T]],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    @overload
    async def step(
        self,
        fn: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    async def step(
        self,
        fn: Callable[[StepContext], Any],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> Any:
        """Run ``fn`` once and checkpoint its result; on replay return the stored result.

        ``fn`` may be ``async def`` (awaited on the event loop) or a plain function (run in a
        worker thread so blocking I/O does not stall other branches). It receives a
        ``StepContext``. A failing attempt is retried by ``config.retry_strategy`` (the official
        default: 6 attempts with exponential backoff), each retry suspending the invocation until
        it is due.

        Args:
            fn: The step's body.
            name: A name for the step, shown in history and checked on replay.
            config: Retry strategy, at-most-once or at-least-once semantics, serializer.

        Returns:
            What ``fn`` returned, as the serializer reads it back (identical on every replay).

        Raises:
            StepError: every attempt failed, or the error was not retryable.
            NonDeterministicExecutionError: a different operation was checkpointed here.
        """
        return await run_step(self, fn, _default_name(fn, name), config)

    async def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspend for ``duration`` (1 second to 366 days) without consuming compute.

        Raises:
            ValidationError: the duration is out of range.
        """
        await run_wait(self, duration, name)

    async def run_in_child_context(
        self,
        fn: Callable[[DurableContext], Awaitable[T]],
        name: str | None = None,
        config: ChildConfig | None = None,
    ) -> T:
        """Run ``fn`` with a child context whose operations are grouped under one CONTEXT.

        Args:
            fn: An async function given the child ``DurableContext``.
            name: A name for the context, shown in history and checked on replay.
            config: Serializer, subtype and summary generator for large results.

        Returns:
            What ``fn`` returned; replayed from the checkpoint without running ``fn`` again.

        Raises:
            ChildContextError: ``fn`` raised; carries the original error's type and message.
        """
        result: T = await run_child_context(self, fn, _default_name(fn, name), config)
        return result

    # -- callbacks (core/operations/callback.py) ------------------------------------------
    # (reserved: create_callback, wait_for_callback)

    # -- chained invoke (core/operations/invoke.py) ----------------------------------------
    # (reserved: invoke)

    # -- polling (core/operations/condition.py) -------------------------------------------
    # (reserved: wait_for_condition)

    # -- map and parallel (core/operations/batch.py) ----------------------------------------
    # (reserved: map, parallel)

    # -- combinators and replay-safe helpers (core/operations/combinators.py, helpers.py) --
    # (reserved: all, all_settled, race, any, now, uuid4, random)

    # -- used by operations --------------------------------------------------------------

    def next_identity(
        self, type: OperationType, sub_type: str | None, name: str | None
    ) -> OperationIdentity:
        """Take the next operation id of this context and describe the operation started there."""
        return OperationIdentity(self._ids.next_id(), type, sub_type, name, self.parent_id)

    def child_context(self, operation_id: str) -> DurableContext:
        """Return the context for operations parented on ``operation_id``."""
        return DurableContext(
            self.runtime, operation_id, self._logger.bind(parent_id=operation_id)
        )

    def step_context(self, identity: OperationIdentity, attempt: int) -> StepContext:
        """Return what a step's body is given for this attempt."""
        logger = self._logger.bind(operation_id=identity.operation_id, attempt=attempt)
        return StepContext(identity.operation_id, identity.name, attempt, logger)


def _default_name(fn: Callable[..., Any], name: str | None) -> str | None:
    # As in the official SDK, only an explicit name or one set by a decorator is recorded: a
    # function's __name__ is not, so histories written by either SDK carry the same names.
    return name or getattr(fn, "_original_name", None)
