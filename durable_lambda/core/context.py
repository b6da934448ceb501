"""``DurableContext``: what a durable handler is given; every durable call goes through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING, Any, TypeVar, overload
from uuid import UUID

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
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.ids import OperationIdSequence
from durable_lambda.core.logging import (
    ReplayAwareLogger,
    ReplayPosition,
    live_logger,
    positioned_logger,
)
from durable_lambda.core.model import OperationType
from durable_lambda.core.operations.child import run_child_context
from durable_lambda.core.operations.helpers import (
    OperationMetadata,
    current_time,
    new_random,
    new_uuid,
    read_operation_metadata,
)
from durable_lambda.core.operations.names import MAX_NAME_LENGTH as MAX_NAME_LENGTH
from durable_lambda.core.operations.names import check_operation_name, recorded_name
from durable_lambda.core.operations.step import replay_step, run_step
from durable_lambda.core.operations.step_context import StepContext, WaitForConditionCheckContext
from durable_lambda.core.operations.wait import run_wait
from durable_lambda.core.ports import Logger
from durable_lambda.core.runtime import ExecutionRuntime
from durable_lambda.core.state import NOT_SUCCEEDED, OperationIdentity

# The operations a handler may never call (map, parallel, callbacks, combinators, conditions,
# chained invokes) are imported by the method that runs them, on first use: together they cost
# about 10 ms of every cold start otherwise. The per-call cost of the import statement is a
# dictionary lookup.
if TYPE_CHECKING:
    from durable_lambda.core.operations.batch import ItemT, ParallelBranch, ResultT
    from durable_lambda.core.operations.batch_result import BatchResult
    from durable_lambda.core.operations.callback import Callback, WaitForCallbackContext
    from durable_lambda.core.operations.combinators import SettledResult

__all__ = ["DurableContext", "StepContext", "WaitForConditionCheckContext"]

T = TypeVar("T")
F = TypeVar("F")


def _argument(operation: str, official: str, given: F | None, ours: str, alias: F | None) -> F:
    """Return the argument given under the official SDK's name or under ours (exactly one).

    Raises:
        ValidationError: both names were given, or neither.
    """
    if given is None:
        if alias is None:
            raise ValidationError(f"{operation}() needs {official!r}", field=official)
        return alias
    if alias is not None:
        raise ValidationError(
            f"{operation}() got {official!r} and {ours!r}, which name the same argument; give one",
            field=official,
        )
    return given


def _check_callable(operation: str, argument: str, value: object) -> None:
    """Refuse, before any operation id is taken, a function argument that is not callable.

    Raises:
        ValidationError: ``value`` is not callable.
    """
    if not callable(value):
        raise ValidationError(
            f"{operation}() needs a callable {argument}, got {type(value).__name__} "
            f"({value!r:.60})",
            field=argument,
        )


def _refuse_name(name: object, execution_arn: str) -> None:
    """Refuse an operation name that is not a string (a str subclass is accepted).

    Raises:
        ValidationError: ``name`` is not a str.
    """
    if isinstance(name, str):
        return
    raise ValidationError(
        f"an operation name must be a str or None, got {type(name).__name__} ({name!r:.60})",
        field="name",
        execution_arn=execution_arn,
    )


class DurableContext:
    """The handle a durable handler uses for every durable operation.

    Every method is awaited. Each call takes the next deterministic operation id of this context;
    if the operation was checkpointed by an earlier invocation its stored outcome is replayed,
    otherwise it runs and is checkpointed. Code between durable calls must be deterministic: it
    runs again on every replay.

    The methods take the official SDK's arguments, in its positional order and under its
    keyword names (``step(func=...)``, ``map(inputs=..., func=...)``,
    ``parallel(functions=...)``, ``run_in_child_context(func=...)``); the shorter names of
    earlier durable-lambda versions (``fn=``, ``items=``, ``branches=``) are accepted too. An
    argument of the wrong kind (a function that is not callable, a name that is not a string)
    raises ``ValidationError`` before the operation takes its id.

    Example:
        >>> async def handler(event: dict, ctx: DurableContext) -> str:
        ...     order = await ctx.step(lambda s: create_order(event), name="create-order")
        ...     await ctx.wait(Duration.from_days(1), name="cool-off")
        ...     return order["id"]
    """

    __slots__ = ("_ids", "_logger", "_logger_source", "id_prefix", "parent_id", "runtime")

    def __init__(
        self,
        runtime: ExecutionRuntime,
        parent_id: str | None = None,
        logger: Logger | None = None,
        *,
        id_prefix: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.parent_id = parent_id
        # A virtual context (FLAT nesting) takes its ids from its own operation's id while its
        # operations are recorded under its parent's: the two only differ there.
        self.id_prefix = id_prefix if id_prefix is not None else parent_id
        # Made when the context takes its first id: most map items' contexts never take one.
        self._ids: OperationIdSequence | None = None
        # Each context's lines follow its own replay position (core/logging.py).
        self._logger: Logger | None = logger or positioned_logger(runtime.logger, self)
        # For a child context, the logger its own is bound from when first asked for (a child
        # made per map item seldom logs); None once bound.
        self._logger_source: Logger | None = None

    @property
    def execution_arn(self) -> str:
        """The ARN of the durable execution this context belongs to."""
        return self.runtime.execution_arn

    @property
    def logger(self) -> Logger:
        """A structured logger bound to this execution; silent while replaying by default."""
        logger = self._logger
        if logger is None:
            assert self._logger_source is not None  # a child's logger, not bound yet
            bound = self._logger_source.bind(parent_id=self.parent_id)
            logger = self._logger = positioned_logger(bound, self)
            self._logger_source = None
        return logger

    def set_logger(self, logger: Logger) -> None:
        """Replace this context's logger (child contexts created afterwards inherit it).

        The new logger is still wrapped so that it stays silent during replay.
        """
        self._logger = ReplayAwareLogger(
            logger,
            ReplayPosition(self),
            log_during_replay=self.runtime.options.log_during_replay,
        )
        self._logger_source = None

    def is_replaying(self) -> bool:
        """Whether the code is still replaying operations checkpointed by earlier invocations."""
        return self.runtime.is_replaying()

    @overload
    async def step(
        self,
        func: Callable[[StepContext], Coroutine[Any, Any, T]],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    @overload
    async def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    @overload
    async def step(
        self,
        func: None = None,
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        fn: Callable[[StepContext], Coroutine[Any, Any, T]],
    ) -> T: ...

    @overload
    async def step(
        self,
        func: None = None,
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        fn: Callable[[StepContext], T],
    ) -> T: ...

    async def step(
        self,
        func: Callable[[StepContext], Any] | None = None,
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        fn: Callable[[StepContext], Any] | None = None,
    ) -> Any:
        """Run ``func`` once and checkpoint its result; on replay return the stored result.

        ``func`` may be ``async def`` (awaited on the event loop) or a plain function (run in a
        worker thread so blocking I/O does not stall other branches). It receives a
        ``StepContext``. A failing attempt is retried by ``config.retry_strategy`` (the official
        default: 6 attempts with exponential backoff), each retry suspending the invocation until
        it is due.

        Args:
            func: The step's body.
            name: A name for the step, shown in history and checked on replay.
            config: Retry strategy, at-most-once or at-least-once semantics, serializer.
            fn: The step's body, under durable-lambda's earlier name (give ``func`` or ``fn``).

        Returns:
            What ``func`` returned, as the serializer reads it back (identical on every replay).

        Raises:
            StepError: every attempt failed, or the error was not retryable.
            ValidationError: ``func`` is not callable, or ``name`` is not a name the service
                accepts; nothing is checkpointed and no attempt is made.
            NonDeterministicExecutionError: a different operation was checkpointed here.
        """
        if func is None or fn is not None:
            func = _argument("step", "func", func, "fn", fn)
        body: object = func  # the annotation is a promise a caller may break
        if not callable(body):  # inline: every step passes here, replayed ones included
            _check_callable("step", "func", body)
        name = recorded_name(func, name)
        operation_id, replayed = replay_step(self, name, config)
        if replayed is NOT_SUCCEEDED:
            return await run_step(self, func, operation_id, name, config)
        return replayed

    async def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspend for ``duration`` (1 second to 366 days) without consuming compute.

        Raises:
            ValidationError: the duration is out of range.
        """
        await run_wait(self, duration, name)

    async def run_in_child_context(
        self,
        func: Callable[[DurableContext], Awaitable[T]] | None = None,
        name: str | None = None,
        config: ChildConfig | None = None,
        *,
        fn: Callable[[DurableContext], Awaitable[T]] | None = None,
    ) -> T:
        """Run ``func`` with a child context whose operations are grouped under one CONTEXT.

        Args:
            func: An async function given the child ``DurableContext``.
            name: A name for the context, shown in history and checked on replay.
            config: Serializer, subtype and summary generator for large results.
            fn: ``func`` under durable-lambda's earlier name (give one or the other).

        Returns:
            What ``func`` returned; replayed from the checkpoint without running it again.

        Raises:
            ChildContextError: ``func`` raised; carries the original error's type and message.
            ValidationError: ``func`` is not callable.
        """
        body = _argument("run_in_child_context", "func", func, "fn", fn)
        _check_callable("run_in_child_context", "func", body)
        result: T = await run_child_context(self, body, recorded_name(body, name), config)
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
        from durable_lambda.core.operations.callback import run_create_callback

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
            The answer as the sender sent it (its raw text, as in the official SDK), or as the
            serializer of ``config`` reads it when one is set.

        Raises:
            CallbackSubmitterError: the submitter failed on every attempt its strategy allowed.
            CallbackTimeoutError: no answer, or no heartbeat, came within the time-out.
            CallbackExternalError: the sender reported a failure.
            CallbackError: the base of the three errors above.
            ValidationError: ``submitter`` is not callable.
        """
        from durable_lambda.core.operations.callback import run_wait_for_callback

        _check_callable("wait_for_callback", "submitter", submitter)
        return await run_wait_for_callback(self, submitter, recorded_name(submitter, name), config)

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
        from durable_lambda.core.operations.invoke import run_invoke

        return await run_invoke(self, function_name, payload, name, config)

    # -- polling (core/operations/condition.py) -------------------------------------------
    @overload
    async def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], Coroutine[Any, Any, T]],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    @overload
    async def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    async def wait_for_condition(
        self,
        check: Callable[[Any, WaitForConditionCheckContext], Any],
        config: WaitForConditionConfig[Any],
        name: str | None = None,
    ) -> Any:
        """Poll ``check`` until the config's wait strategy says the condition is met.

        Each poll runs ``check(state, check_context)`` (``async def`` or plain) with the state the
        previous poll returned (``config.initial_state`` the first time) and checkpoints what it
        returns. Between polls the invocation suspends for the strategy's delay, so a poll that
        runs every few minutes for hours costs no compute in between. ``check_context.attempt``
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
        from durable_lambda.core.operations.condition import run_wait_for_condition

        return await run_wait_for_condition(self, check, config, name)

    # -- map and parallel (core/operations/batch.py) ----------------------------------------
    async def map(
        self,
        inputs: Sequence[ItemT] | None = None,
        func: Callable[[DurableContext, ItemT, int, Sequence[ItemT]], Awaitable[ResultT]]
        | None = None,
        name: str | None = None,
        config: MapConfig | None = None,
        *,
        items: Sequence[ItemT] | None = None,
        fn: Callable[[DurableContext, ItemT, int, Sequence[ItemT]], Awaitable[ResultT]]
        | None = None,
    ) -> BatchResult[ResultT]:
        """Run ``func(item_ctx, item, index, inputs)`` for every item, concurrently and durably.

        Each item runs in a child context of its own (subtype ``MapIteration``, named by
        ``config.item_namer`` or ``map-item-{index}``) under one ``Map`` context, as asyncio tasks
        on this event loop, at most ``config.max_concurrency`` in flight (an item suspended on a
        wait or callback keeps its slot). The map completes when every item finished, when
        ``min_successful`` items succeeded, or at the first failure beyond the tolerance (by
        default the first failure); items still running then are cancelled and reported
        ``STARTED``, and items not started are left out. On replay the stored ``BatchResult``
        is returned and no item runs again. ``fn`` may also be a plain function.

        With ``config.item_batcher`` limits set, ``fn`` is called once per batch of items with
        a ``BatchedInput`` in place of the item, and the result holds one entry per batch.

        Args:
            inputs: What to map over; the order fixes each item's index and operation id.
            func: The async function run for each item, given the item's own context.
            name: A name for the map, shown in history and checked on replay.
            config: Concurrency, completion criteria, serializers, item namer, batching.
            items: ``inputs`` under durable-lambda's earlier name (give one or the other).
            fn: ``func`` under durable-lambda's earlier name (give one or the other).

        Returns:
            A ``BatchResult`` with one ``BatchItem`` per started item, in index order; failed
            items are in it too (call ``throw_if_error()`` to raise the first).

        Raises:
            ValidationError: ``min_successful`` exceeds the number of items, or ``func`` is
                not callable.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> async def charge(item_ctx, order, index, orders):
            ...     return await item_ctx.step(lambda s: bill(order), name="bill")
            >>> result = await ctx.map(orders, charge, name="charge-all",
            ...                        config=MapConfig(max_concurrency=10))
            >>> receipts = result.get_results()
        """
        from durable_lambda.core.operations.batch import run_map

        values = _argument("map", "inputs", inputs, "items", items)
        body = _argument("map", "func", func, "fn", fn)
        _check_callable("map", "func", body)
        result: BatchResult[ResultT] = await run_map(
            self, values, body, recorded_name(body, name), config
        )
        return result

    async def parallel(
        self,
        functions: Sequence[
            Callable[[DurableContext], Awaitable[ResultT]] | ParallelBranch[ResultT]
        ]
        | None = None,
        name: str | None = None,
        config: ParallelConfig | None = None,
        *,
        branches: Sequence[Callable[[DurableContext], Awaitable[ResultT]] | ParallelBranch[ResultT]]
        | None = None,
    ) -> BatchResult[ResultT]:
        """Run every branch concurrently and durably, each with a child context of its own.

        Each branch is a child context (subtype ``ParallelBranch``, named by its
        ``ParallelBranch`` name or ``parallel-branch-{index}``) under one ``Parallel`` context.
        By default every branch must succeed: the first failure completes the parallel with
        ``FAILURE_TOLERANCE_EXCEEDED`` and cancels the branches still running. The invocation
        suspends only when no branch can progress (say, one waits while the others finished).
        On replay the stored ``BatchResult`` is returned and no branch runs again.

        Args:
            functions: Async functions given a ``DurableContext``, or ``ParallelBranch``
                objects that also carry a name.
            name: A name for the parallel, shown in history and checked on replay.
            config: Concurrency, completion criteria and serializers.
            branches: ``functions`` under durable-lambda's earlier name (give one or the
                other).

        Returns:
            A ``BatchResult`` with one ``BatchItem`` per started branch, in index order.

        Raises:
            ValidationError: ``min_successful`` exceeds the number of branches, or a branch is
                not callable.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> result = await ctx.parallel(
            ...     [ParallelBranch(load_user, "user"), ParallelBranch(load_orders, "orders")],
            ...     name="load",
            ... )
            >>> user, orders = result.get_results()
        """
        from durable_lambda.core.operations.batch import run_parallel

        chosen = _argument("parallel", "functions", functions, "branches", branches)
        result: BatchResult[ResultT] = await run_parallel(self, chosen, name, config)
        return result

    # -- combinators and replay-safe helpers (core/operations/combinators.py, helpers.py) --
    async def all(self, awaitables: Iterable[Awaitable[T]], name: str | None = None) -> list[T]:
        """Await durable calls together; return their values in order, or raise the first failure.

        Pass the calls unawaited, e.g. ``await ctx.all([ctx.step(a), ctx.step(b)])``: each is
        run up to its first ``await`` at once, in list order, then finished as an asyncio task,
        so they take their operation ids in list order. Each must take its ids before its first
        ``await`` (every durable call does, combinators included); wrap a branch of several
        operations in ``ctx.run_in_child_context``. The outcome is checkpointed as a CONTEXT
        with subtype ``All`` whose id is taken before the awaitables' ids; replay returns the
        same outcome without running any body again. If none failed but some cannot progress in
        this invocation, the invocation suspends once the others finished. On the first failure
        the unfinished calls are cancelled (see ``race``).

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            Every awaitable's value, in list order.

        Raises:
            Exception: the first awaitable to fail raised it (e.g. ``StepError``).
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: list[T] = await run_combinator(self, CombinatorKind.ALL, list(awaitables), name)
        return result

    async def all_settled(
        self, awaitables: Iterable[Awaitable[T]], name: str | None = None
    ) -> list[SettledResult[T]]:
        """Await durable calls together and report how each ended, value or error, in order.

        The calls run as in ``all`` (started in list order); nothing is cancelled. The
        invocation suspends while any of them cannot progress. The outcome is checkpointed as a
        CONTEXT with subtype ``AllSettled``.

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            One ``SettledResult`` per awaitable, in list order.

        Raises:
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: list[SettledResult[T]] = await run_combinator(
            self, CombinatorKind.ALL_SETTLED, list(awaitables), name
        )
        return result

    async def race(self, awaitables: Iterable[Awaitable[T]], name: str | None = None) -> T:
        """Return (or raise) the outcome of the first durable call to settle.

        The calls run as in ``all``. A call that cannot progress in this invocation (a wait not
        yet due, an unanswered callback) has not settled; when none can progress the invocation
        suspends and the race goes on in the next one. The winner is checkpointed as a CONTEXT
        with subtype ``Race``, so every replay picks the same winner even though completed
        operations then resolve at once; replay awaits only the winner and skips the losers'
        ids without running them. Losers are cancelled: unfinished tasks get
        ``CancelledError`` (a plain-function step body keeps running in its thread, its result
        abandoned; the step stays STARTED), and every wait a loser started on this context
        that is still running gets a CANCEL update.

        Args:
            awaitables: Durable calls made on this context, not yet awaited (at least one).
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            The winner's value.

        Raises:
            Exception: the winner's error, when the first call to settle failed.
            ValidationError: no awaitables were given, or one was already started.
            NonDeterministicExecutionError: another operation was checkpointed here.

        Example:
            >>> answer = await ctx.race(
            ...     [callback.result(), ctx.wait(Duration.from_hours(1), name="deadline")],
            ...     name="answer-or-deadline",
            ... )
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: T = await run_combinator(self, CombinatorKind.RACE, list(awaitables), name)
        return result

    async def any(self, awaitables: Iterable[Awaitable[T]], name: str | None = None) -> T:
        """Return the value of the first durable call to succeed; failures are waited out.

        The calls run as in ``all``; the winner is checkpointed as a CONTEXT with subtype
        ``Any`` and the losers are cancelled as in ``race``. The invocation suspends while none
        has succeeded and some cannot progress.

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            The first successful call's value.

        Raises:
            AllFailedError: every call failed; ``errors`` holds their errors in list order.
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: T = await run_combinator(self, CombinatorKind.ANY, list(awaitables), name)
        return result

    def now(self) -> datetime:
        """Return the time (UTC) at which the code first reached this call; the same on replay.

        The first run reads the clock and checkpoints the value as a STEP with subtype ``Now``;
        replay returns the stored value. Like any durable call it takes an operation id of
        this context (the update is queued, not awaited).

        Raises:
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        return current_time(self)

    def uuid4(self) -> UUID:
        """Return a random-looking version-4 UUID that is identical on every replay.

        Derived from the execution ARN, this context and its position (how many operation ids
        it has taken, and how many draws came before at that position): it differs between
        executions, takes no operation id and checkpoints nothing.
        """
        return new_uuid(self)

    def random(self) -> Random:
        """Return a ``random.Random`` seeded so that it draws the same numbers on every replay.

        Seeded like ``uuid4`` (execution, context, position, draws so far); takes no operation
        id and checkpoints nothing.

        Example:
            >>> delay = ctx.random().uniform(1.0, 5.0)
        """
        return new_random(self)

    async def operation_metadata(self, operation_id: str | None = None) -> OperationMetadata | None:
        """Return what the service recorded about an operation: id, name, attempt, timestamps.

        Queued updates are flushed first, so an operation that just completed shows its end
        timestamp. For an operation that has completed the answer is the same on every replay.

        Args:
            operation_id: The operation's id (e.g. ``StepContext.operation_id``); None for the
                operation this context started last.

        Returns:
            The metadata, or None when no such operation was checkpointed.

        Raises:
            CheckpointError: flushing the queued updates failed.
        """
        return await read_operation_metadata(self, operation_id)

    def operations_started(self) -> int:
        """How many operation ids this context has taken so far (reading it takes none)."""
        return 0 if self._ids is None else self._ids.taken

    # -- used by operations --------------------------------------------------------------

    def next_identity(
        self, type: OperationType, sub_type: str | None, name: str | None
    ) -> OperationIdentity:
        """Take the next operation id of this context and describe the operation started there.

        Raises:
            ValidationError: ``name`` is not 1 to 256 printable ASCII characters, which is all
                the service accepts (checked here so a local run fails as AWS would).
        """
        return OperationIdentity(self.next_operation_id(name), type, sub_type, name, self.parent_id)

    def next_operation_id(self, name: str | None) -> str:
        """Take the next operation id of this context for an operation named ``name``.

        Raises:
            ValidationError: ``name`` is not a name the service accepts (see ``next_identity``).
        """
        if name is not None and type(name) is not str:
            _refuse_name(name, self.runtime.execution_arn)
        check_operation_name(name, self.runtime.execution_arn)
        ids = self._ids
        if ids is None:
            ids = self._ids = OperationIdSequence(self.id_prefix)
        return ids.next_id()

    def child_context(self, operation_id: str, *, virtual: bool = False) -> DurableContext:
        """Return the context for the operations of the child context ``operation_id``.

        Its ids derive from ``operation_id``; its operations are parented on ``operation_id``,
        or, for a virtual child (FLAT nesting), on this context's own parent.
        """
        parent_id = self.parent_id if virtual else operation_id
        child = DurableContext(self.runtime, parent_id, self.logger, id_prefix=operation_id)
        # Bound to its parent id only if it logs (or makes a child or a step that might).
        child._logger, child._logger_source = None, child._logger
        return child

    def step_context(self, identity: OperationIdentity, attempt: int) -> StepContext:
        """Return what a step's body is given for this attempt."""
        # A body runs only for the first time: its lines are never replay (core/logging.py).
        logger = live_logger(self.logger).bind(
            operation_id=identity.operation_id, operation_name=identity.name, attempt=attempt
        )
        return StepContext(identity.operation_id, identity.name, attempt, logger)

    def check_context(
        self, identity: OperationIdentity, attempt: int
    ) -> WaitForConditionCheckContext:
        """Return what a ``wait_for_condition`` check is given for this poll."""
        logger = live_logger(self.logger).bind(
            operation_id=identity.operation_id, operation_name=identity.name, attempt=attempt
        )
        return WaitForConditionCheckContext(identity.operation_id, identity.name, attempt, logger)
