"""``DurableContext``: what a durable handler is given; every durable call goes through it.

The class is assembled from parts, one job each: ``ContextScope`` (``scope.py``: the context's
place in the execution, its ids and logger, what the operations use), the durable calls here
(step, wait, child context, map, parallel), ``ExternalCalls`` (``external.py``: callbacks,
chained invoke, ``wait_for_condition``), ``Combinators`` (``combinators.py``),
``ReplaySafeHelpers`` (``replay_safe.py``) and ``Handles`` (``handles.py``: the Lambda context,
cancellable waits, sagas). Each method is a thin door to one operation's state
machine in ``core/operations/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from durable_lambda.core.config import ChildConfig, Duration, StepConfig
from durable_lambda.core.context.arguments import argument, check_callable
from durable_lambda.core.context.combinators import Combinators
from durable_lambda.core.context.external import ExternalCalls
from durable_lambda.core.context.handles import Handles
from durable_lambda.core.context.replay_safe import ReplaySafeHelpers
from durable_lambda.core.context.scope import ContextScope
from durable_lambda.core.operations.names import recorded_name
from durable_lambda.core.operations.step import (
    DEFAULT_STEP_CONFIG,
    STEP,
    replay_step,
    step_identity,
)
from durable_lambda.core.operations.step_context import StepContext
from durable_lambda.core.state import NOT_SUCCEEDED

# The operations a handler may never call (wait, child contexts, map, parallel, callbacks,
# combinators, conditions, chained invokes) are imported by the method that runs them, on first
# use: together they cost about 10 ms of every cold start otherwise. The per-call cost of the
# import statement is a dictionary lookup.
if TYPE_CHECKING:
    from durable_lambda.core.config import MapConfig, ParallelConfig
    from durable_lambda.core.operations.batch import ItemT, ResultT
    from durable_lambda.core.operations.batch_result import BatchResult

__all__ = ["DurableContext", "ParallelBranch"]

T = TypeVar("T")


class DurableContext(ContextScope, ExternalCalls, Combinators, ReplaySafeHelpers, Handles):
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

    __slots__ = ()

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
            func = argument("step", "func", func, "fn", fn)
        body: object = func  # the annotation is a promise a caller may break
        if not callable(body):  # inline: every step passes here, replayed ones included
            check_callable("step", "func", body)
        name = recorded_name(func, name)
        operation_id, replayed = replay_step(self, name, config)
        if replayed is NOT_SUCCEEDED:
            identity = step_identity(self, operation_id, name)
            return await STEP.resume(self, identity, (func, config or DEFAULT_STEP_CONFIG))
        return replayed

    async def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspend for ``duration`` (1 second to 366 days) without consuming compute.

        Raises:
            ValidationError: the duration is out of range.
        """
        from durable_lambda.core.operations.wait import run_wait

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
        body = argument("run_in_child_context", "func", func, "fn", fn)
        check_callable("run_in_child_context", "func", body)
        from durable_lambda.core.operations.child import run_child_context

        result: T = await run_child_context(self, body, recorded_name(body, name), config)
        return result

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

        values = argument("map", "inputs", inputs, "items", items)
        body = argument("map", "func", func, "fn", fn)
        check_callable("map", "func", body)
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

        chosen = argument("parallel", "functions", functions, "branches", branches)
        bodies = [b.func if isinstance(b, ParallelBranch) else b for b in chosen]
        names = [b.name if isinstance(b, ParallelBranch) else None for b in chosen]
        result: BatchResult[ResultT] = await run_parallel(self, bodies, names, name, config)
        return result


@dataclass(frozen=True, slots=True)
class ParallelBranch(Generic[T]):
    """A parallel branch with a name of its own, shown in history instead of the default name.

    Attributes:
        func: The branch: an async function given the branch's ``DurableContext``.
        name: The branch context's name; None for the default name.

    Example:
        >>> await ctx.parallel(
        ...     [ParallelBranch(fetch_user, "user"), ParallelBranch(fetch_orders, "orders")]
        ... )
    """

    func: Callable[[DurableContext], Awaitable[T]]
    name: str | None = None

    def __call__(self, ctx: DurableContext) -> Awaitable[T]:
        """Run the branch (a ``ParallelBranch`` can stand wherever its function can)."""
        return self.func(ctx)
