"""``DurableContext``: what a durable handler is given, and through which every durable call goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, overload

from durable_lambda.core.config import ChildConfig, Duration, StepConfig
from durable_lambda.core.ids import OperationIdSequence
from durable_lambda.core.model import OperationType
from durable_lambda.core.config import CallbackConfig, WaitForCallbackConfig
from durable_lambda.core.operations.callback import (
    Callback,
    WaitForCallbackContext,
    run_create_callback,
    run_wait_for_callback,
)
from durable_lambda.core.config import InvokeConfig, WaitForConditionConfig
from durable_lambda.core.operations.condition import run_wait_for_condition
from durable_lambda.core.operations.invoke import run_invoke
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
    async def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Create a callback: an id the outside world answers to, and a way to await the answer.

        The CALLBACK operation is checkpointed before this returns, since the service assigns
        the id. Hand ``callback.callback_id`` to the system that will answer (it calls
        ``SendDurableExecutionCallbackSuccess``, ``...Failure`` or ``...Heartbeat``), then
        ``await callback.result()``: that suspends the invocation, at no compute cost, until
        the answer arrives. Creating a callback never raises for how it ended; ``result()`` does.

        Args:
            name: A name for the callback, shown in history and checked on replay.
            config: Time-out, heartbeat time-out (``Duration(0)``, the default, means none),
                and the serializer that reads the answer (the execution's default if None).

        Returns:
            The ``Callback``; replay returns one with the same ``callback_id``.

        Raises:
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> callback = await ctx.create_callback("approval", CallbackConfig(
            ...     timeout=Duration.from_days(1)))
            >>> await ctx.step(lambda s: send_for_approval(callback.callback_id))
            >>> decision = await callback.result()
        """
        return await run_create_callback(self, name, config)

    async def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], Any],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Create a callback, hand its id to ``submitter`` in a step, and return the answer.

        Runs in a child context (subtype ``WaitForCallback``) holding the callback and a step
        that calls ``submitter(callback_id, WaitForCallbackContext)``; the step is retried by
        ``config.retry_strategy`` and is not run again once it succeeded. ``submitter`` may be
        ``async def`` or a plain function.

        Args:
            submitter: Sends the callback id to the system that will answer.
            name: A name for the operation, shown in history and checked on replay.
            config: The callback's time-outs and serializer, and the submitter's retry strategy.

        Returns:
            The answer's payload, as the serializer reads it.

        Raises:
            CallbackSubmitterError: the submitter failed on every attempt its strategy allowed.
            CallbackTimeoutError: no answer, or no heartbeat, came within the time-out.
            CallbackError: the sender reported a failure (base of the errors above).
        """
        return await run_wait_for_callback(self, submitter, _default_name(submitter, name), config)

    # -- chained invoke (core/operations/invoke.py) ----------------------------------------
    async def invoke(
        self,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig | None = None,
    ) -> Any:
        """Invoke another Lambda function (durable or not) and wait for its result.

        The invocation suspends, at no compute cost, until the target finishes; the service then
        invokes this function again and the result is returned. On replay the target is not
        invoked again: its recorded outcome is returned or raised.

        Args:
            function_name: The target: a function name, ``name:qualifier``, or an ARN.
            payload: The target's event, written with ``config.serdes_payload`` (plain JSON by
                default).
            name: A name for the operation, shown in history and checked on replay.
            config: Payload and result serializers, and the tenant to invoke for.

        Returns:
            What the target returned, read with ``config.serdes_result`` (plain JSON by default).

        Raises:
            InvokeError: the target failed, timed out or was stopped; ``error_type`` and the
                message carry the target's error (a target the service cannot find fails with
                ``ResourceNotFoundException``).
            ValidationError: ``function_name`` is empty or longer than 256 characters.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> receipt = await ctx.invoke("payments", {"amount": 42}, name="charge")
        """
        return await run_invoke(self, function_name, payload, name, config)

    # -- polling (core/operations/condition.py) -------------------------------------------
    @overload
    async def wait_for_condition(
        self,
        check: Callable[[T, StepContext], Coroutine[Any, Any, T]],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    @overload
    async def wait_for_condition(
        self,
        check: Callable[[T, StepContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    async def wait_for_condition(
        self,
        check: Callable[[Any, StepContext], Any],
        config: WaitForConditionConfig[Any],
        name: str | None = None,
    ) -> Any:
        """Poll ``check`` until the config's wait strategy says the condition is met.

        Each poll runs ``check(state, step_context)`` (``async def`` or plain) with the state the
        previous poll returned (``config.initial_state`` the first time) and checkpoints what it
        returns. Between polls the invocation suspends for the strategy's delay, so a poll that
        runs every few minutes for hours costs no compute in between. ``step_context.attempt``
        is the 1-based number of the poll.

        Args:
            check: Computes the new state from the current one.
            config: The wait strategy (see ``create_wait_strategy``), the initial state and the
                serializer of the state.
            name: A name for the operation, shown in history and checked on replay.

        Returns:
            The state of the poll after which the strategy stopped, as the serializer reads it
            back (identical on every replay).

        Raises:
            WaitForConditionError: ``check`` or the strategy raised (``error_type`` and the
                message carry the original error), or the strategy ran out of attempts.
            ValidationError: ``check`` is not callable or ``config`` is not a
                ``WaitForConditionConfig``.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> strategy = create_wait_strategy(
            ...     WaitStrategyConfig(should_continue_polling=lambda job: job["status"] != "done")
            ... )
            >>> job = await ctx.wait_for_condition(
            ...     lambda job, check: fetch_job(job["id"]),
            ...     WaitForConditionConfig(wait_strategy=strategy, initial_state={"id": job_id}),
            ...     name="await-job",
            ... )
        """
        return await run_wait_for_condition(self, check, config, name)

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
        return DurableContext(self.runtime, operation_id, self._logger.bind(parent_id=operation_id))

    def step_context(self, identity: OperationIdentity, attempt: int) -> StepContext:
        """Return what a step's body is given for this attempt."""
        logger = self._logger.bind(operation_id=identity.operation_id, attempt=attempt)
        return StepContext(identity.operation_id, identity.name, attempt, logger)


def _default_name(fn: Callable[..., Any], name: str | None) -> str | None:
    # As in the official SDK, only an explicit name or one set by a decorator is recorded: a
    # function's __name__ is not, so histories written by either SDK carry the same names.
    return name or getattr(fn, "_original_name", None)
