"""``aws_durable_execution_sdk_python.context``: the synchronous ``DurableContext`` and decorators.

``DurableContext`` here has the official SDK's methods, signatures and blocking behaviour
(``context.step(...)`` returns the result), and runs each call as durable-lambda's operation of
the same name: the same operation ids, types, subtypes and names, so histories match and
executions move between the SDKs. User functions run in threads of their own (see
``durable_lambda.compat.aws._threads``), as the official SDK runs map items and parallel branches
in a thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from durable_lambda.compat.aws._logging import ReplaySilencedLogger, StdlibStyleLogger
from durable_lambda.compat.aws._threads import Lane, current_lane, run_in_thread
from durable_lambda.compat.aws.types import (
    StepContext,
    WaitForCallbackContext,
    WaitForConditionCheckContext,
)
from durable_lambda.core.config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.context import DurableContext as AsyncDurableContext
from durable_lambda.core.context import ParallelBranch
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.non_blocking import is_non_blocking, non_blocking
from durable_lambda.core.operations.batch_result import BatchResult
from durable_lambda.core.operations.step_context import StepContext as AsyncStepContext

if TYPE_CHECKING:
    from durable_lambda.core.operations.callback import Callback as AsyncCallback
    from durable_lambda.core.operations.callback import (
        WaitForCallbackContext as AsyncWaitForCallbackContext,
    )

__all__ = [
    "Callback",
    "DurableContext",
    "ExecutionContext",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
]

T = TypeVar("T")
U = TypeVar("U")
P = ParamSpec("P")


@dataclass(frozen=True)
class ExecutionContext:
    """Read-only facts about the execution.

    Attributes:
        durable_execution_arn: The execution's ARN.
    """

    durable_execution_arn: str


def _name(name: str | None, func: object) -> str | None:
    """Return the name an operation records: ``name``, or one a decorator set (official rule)."""
    return name or getattr(func, "_original_name", None)


def _step_context(context: AsyncStepContext) -> StepContext:
    logger = StdlibStyleLogger(context.logger)
    return StepContext(logger, context.attempt, context.operation_id, context.name)


def _check_context(context: AsyncStepContext) -> WaitForConditionCheckContext:
    logger = StdlibStyleLogger(context.logger)
    return WaitForConditionCheckContext(logger, context.attempt, context.operation_id, context.name)


class Callback(Generic[T]):
    """A callback created by ``DurableContext.create_callback``; ``result()`` blocks for it.

    Attributes:
        callback_id: The id the outside world answers to.
        operation_id: The CALLBACK operation's id.
    """

    def __init__(self, callback: AsyncCallback[T], lane: Lane) -> None:
        self._callback = callback
        self._lane = lane
        self.callback_id: str = callback.callback_id
        self.operation_id: str = callback.operation_id

    def result(self) -> T | None:
        """Return the answer (the raw text, or as the config's serializer reads it).

        The invocation suspends here until the answer arrives; the service then invokes the
        function again and the code replays to this point.

        Raises:
            CallbackExternalError: the sender reported a failure.
            CallbackTimeoutError: no answer (or heartbeat) in time.
        """
        return current_lane(self._lane).call(self._callback.result)


class DurableContext:
    """The official SDK's synchronous ``DurableContext``, running durable-lambda's operations.

    Attributes:
        lambda_context: The Lambda runtime's context object of this invocation.
        execution_context: The execution's ARN (``durable_execution_arn``).
        state: durable-lambda's own (asynchronous) context, for what the official API lacks.
    """

    def __init__(
        self, context: AsyncDurableContext, lane: Lane, lambda_context: Any = None
    ) -> None:
        self.state = context
        self._lane = lane
        self.lambda_context = lambda_context
        self.execution_context = ExecutionContext(context.execution_arn)
        self._logger: Any = None

    def _call(self, make: Callable[[], Any]) -> Any:
        return current_lane(self._lane).call(make)

    def _child(self, context: AsyncDurableContext) -> DurableContext:
        child = DurableContext(context, self._lane, self.lambda_context)
        child._logger = self._logger
        return child

    async def _run(self, func: Callable[..., T], context: AsyncDurableContext, *args: Any) -> T:
        """Run ``func(child_facade, *args)`` in a thread of its own."""
        return await run_in_thread(func, self._child(context), *args)

    # -- logging and replay ------------------------------------------------------------

    @property
    def logger(self) -> Any:
        """A logger bound to the execution and this context, silent while replaying.

        It takes the standard library's call shape (``logger.info("x %s", x, extra={...})``).
        """
        if self._logger is not None:
            return self._logger
        return StdlibStyleLogger(self.state.logger)

    def set_logger(self, new_logger: Any) -> None:
        """Log through ``new_logger`` (a standard-library or Powertools logger) from now on.

        As in the official SDK, it stays silent while replaying; child contexts created
        afterwards use it too.
        """
        self._logger = ReplaySilencedLogger(new_logger, self.state.is_replaying)

    def is_replaying(self) -> bool:
        """Whether the code is still replaying operations checkpointed by earlier invocations."""
        return self.state.is_replaying()

    # -- operations --------------------------------------------------------------------

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        """Run ``func(step_context)`` once, checkpoint its result, and return it.

        Raises:
            StepError: every attempt the retry strategy allowed failed.
        """
        _check_callable(func, "step", "func")

        def body(context: AsyncStepContext) -> T:
            return func(_step_context(context))

        _carry_mark(func, body)
        step_name = _name(name, func)
        result: T = self._call(lambda: self.state.step(body, step_name, config))
        return result

    def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspend for ``duration`` without consuming compute.

        Raises:
            ValidationError: the duration is shorter than 1 second.
        """
        self._call(lambda: self.state.wait(duration, name))

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig | None = None,
    ) -> T:
        """Run ``func(child_context)``, its operations grouped under one CONTEXT operation.

        Raises:
            ChildContextError: ``func`` raised.
        """
        _check_callable(func, "run_in_child_context", "func")

        async def body(context: AsyncDurableContext) -> T:
            return await self._run(func, context)

        child_name = _name(name, func)
        result: T = self._call(lambda: self.state.run_in_child_context(body, child_name, config))
        return result

    def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Create a callback; hand ``callback_id`` to the sender, then call ``result()``."""
        callback: AsyncCallback[Any] = self._call(lambda: self.state.create_callback(name, config))
        return Callback(callback, self._lane)

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], Any],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Create a callback, run ``submitter(callback_id, context)`` as a step, return the answer.

        Raises:
            CallbackSubmitterError: the submitter failed on every attempt.
            CallbackExternalError: the sender reported a failure.
            CallbackTimeoutError: no answer (or heartbeat) in time.
        """
        _check_callable(submitter, "wait_for_callback", "submitter")

        def submit(callback_id: str, context: AsyncWaitForCallbackContext) -> Any:
            details = WaitForCallbackContext(StdlibStyleLogger(context.logger), context.attempt)
            return submitter(callback_id, details)

        _carry_mark(submitter, submit)
        waiter_name = _name(name, submitter)
        return self._call(lambda: self.state.wait_for_callback(submit, waiter_name, config))

    def invoke(
        self,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig[Any, Any] | None = None,
    ) -> Any:
        """Invoke another Lambda function and return its result.

        Raises:
            InvokeError: the target failed, timed out or was stopped.
        """
        return self._call(lambda: self.state.invoke(function_name, payload, name, config))

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        """Poll ``check(state, context)`` until the config's wait strategy stops; return the state.

        Raises:
            WaitForConditionError: the check raised, or the attempts ran out.
        """
        if check is None:
            raise ValidationError("`check` is required for wait_for_condition", field="check")
        if config is None:
            raise ValidationError("`config` is required for wait_for_condition", field="config")

        def poll(state: T, context: AsyncStepContext) -> T:
            return check(state, _check_context(context))

        _carry_mark(check, poll)
        result: T = self._call(lambda: self.state.wait_for_condition(poll, config, name))
        return result

    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig | None = None,
    ) -> BatchResult[T]:
        """Run ``func(item_context, item, index, inputs)`` for every item, concurrently."""
        _check_callable(func, "map", "func")

        async def item(context: AsyncDurableContext, value: U, index: int, values: Any) -> T:
            return await self._run(func, context, value, index, values)

        map_name = _name(name, func)
        result: BatchResult[T] = self._call(lambda: self.state.map(inputs, item, map_name, config))
        return result

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Run every function with a child context of its own, concurrently."""
        branches = [self._branch(function) for function in functions]
        result: BatchResult[T] = self._call(lambda: self.state.parallel(branches, name, config))
        return result

    def _branch(self, function: Any) -> ParallelBranch[Any]:
        name = function.name if isinstance(function, ParallelBranch) else None
        func = function.func if isinstance(function, ParallelBranch) else function
        _check_callable(func, "parallel", "functions")

        async def branch(context: AsyncDurableContext) -> Any:
            return await self._run(func, context)

        return ParallelBranch(branch, name)


def _carry_mark(
    func: Callable[..., Any], wrapper: Callable[..., Any], factory: object = None
) -> None:
    """Mark ``wrapper`` non-blocking if the user marked ``func`` (``durable_lambda.non_blocking``).

    A step, submitter or check marked so runs on the event loop's thread with no thread hop,
    as the official SDK runs its step functions; map items, parallel branches and child
    contexts make blocking durable calls, so they keep a thread of their own. ``factory`` is a
    decorator's factory of bodies, which the user may have marked instead (``@non_blocking``
    written above ``@durable_step``).
    """
    if is_non_blocking(func) or (callable(factory) and is_non_blocking(factory)):
        non_blocking(wrapper)


def _check_callable(func: object, operation: str, argument: str) -> None:
    if not callable(func):
        raise ValidationError(
            f"{operation} needs a callable {argument}, got {type(func).__name__}", field=argument
        )


# -- decorators ----------------------------------------------------------------------------


def durable_step(
    func: Callable[Concatenate[StepContext, P], T],
) -> Callable[P, Callable[[StepContext], T]]:
    """Make ``func(step_context, *args)`` a step body factory named after the function.

    ``create_order(order_id)`` returns the body of a step that calls
    ``create_order(step_context, order_id)``; ``context.step`` records it as ``create_order``.
    """

    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[StepContext], T]:
        def body(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        body._original_name = func.__name__  # type: ignore[attr-defined]
        _carry_mark(func, body, bind)
        return body

    return bind


def durable_with_child_context(
    func: Callable[Concatenate[DurableContext, P], T],
) -> Callable[P, Callable[[DurableContext], T]]:
    """Make ``func(context, *args)`` a child context's function named after the function."""

    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[DurableContext], T]:
        def body(context: DurableContext) -> T:
            return func(context, *args, **kwargs)

        body._original_name = func.__name__  # type: ignore[attr-defined]
        return body

    return bind


def durable_parallel_branch(
    name: str | None = None,
) -> Callable[[Callable[Concatenate[DurableContext, P], T]], Callable[P, ParallelBranch[T]]]:
    """Make ``func(context, *args)`` a factory of named parallel branches.

    Args:
        name: The branch's name in history; None for ``parallel-branch-{index}``.
    """

    def decorate(
        func: Callable[Concatenate[DurableContext, P], T],
    ) -> Callable[P, ParallelBranch[T]]:
        def bind(*args: P.args, **kwargs: P.kwargs) -> ParallelBranch[T]:
            def body(context: DurableContext) -> T:
                return func(context, *args, **kwargs)

            return ParallelBranch(body, name)  # type: ignore[arg-type]

        return bind

    return decorate


def durable_wait_for_callback(
    func: Callable[Concatenate[str, WaitForCallbackContext, P], T],
) -> Callable[P, Callable[[str, WaitForCallbackContext], T]]:
    """Make ``func(callback_id, context, *args)`` a submitter named after the function."""

    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[str, WaitForCallbackContext], T]:
        def submitter(callback_id: str, context: WaitForCallbackContext) -> T:
            return func(callback_id, context, *args, **kwargs)

        submitter._original_name = func.__name__  # type: ignore[attr-defined]
        _carry_mark(func, submitter, bind)
        return submitter

    return bind
