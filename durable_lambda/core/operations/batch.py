"""Map and parallel: many branches under one CONTEXT, each branch a child CONTEXT of its own.

On the wire (as the official AWS SDK writes it): the parent CONTEXT (SubType ``Map`` or
``Parallel``) is started; each branch, when it starts, is a child CONTEXT (``MapIteration`` or
``ParallelBranch``) named by the item namer or branch name, else ``map-item-{i}`` or
``parallel-branch-{i}``, that succeeds with its result or fails with its error; then the parent
succeeds with the serialized ``BatchResult``. A result too large for one checkpoint is stored as a
JSON summary with ``ContextOptions.ReplayChildren``, and replay rebuilds it from the children.

Failures beyond the tolerance do not raise: the parent still succeeds, with a ``BatchResult``
whose items say what failed. On replay a succeeded parent returns its stored result and no branch
runs; a parent still started runs its branches again, each replaying from its own checkpoint.

The result is written by ``config.serdes`` (else the execution's serializer): a serializer of the
user's own is handed the ``BatchResult`` itself, as in the official SDK, and must give one back
(or its dict form); the built-in ``JsonSerDes`` and ``EnvelopeSerDes`` write ``to_dict()``, and
``EnvelopeSerDes`` under the official SDK's ``br`` tag, so the official SDK can resume it.

The branches themselves are in ``batch_branches.py``; how they are scheduled, bounded and
suspended, in ``concurrency.py``; when a batch is complete, in ``core/completion.py``; the
result's shape, in ``batch_result.py``; item groups, in ``item_groups.py``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from durable_lambda.core.completion import CompletionPolicy
from durable_lambda.core.config import MapConfig, NestingType, ParallelConfig
from durable_lambda.core.config_base import default_config
from durable_lambda.core.errors import (
    ChildContextError,
    ExecutionError,
    NonDeterministicExecutionError,
    SerDesError,
    SuspendExecution,
    ValidationError,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    ContextOptions,
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.batch_branches import BatchBranches
from durable_lambda.core.operations.batch_result import (
    BatchItem,
    BatchResult,
    item_of,
    new_result,
    result_of_run,
    started_item,
)
from durable_lambda.core.operations.batch_summary import CompletionRecord, summary_envelope
from durable_lambda.core.operations.concurrency import (
    BranchOutcome,
    run_branches,
)
from durable_lambda.core.operations.skeleton import begin
from durable_lambda.core.operations.updates import context_update, replays_children
from durable_lambda.core.ports import SerDes
from durable_lambda.core.runtime import call_user_function
from durable_lambda.core.serdes import (
    EnvelopeSerDes,
    JsonSerDes,
    payload_size,
    reads_back_unchanged,
    write_value,
)
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["ItemT", "ResultT", "run_map", "run_parallel"]

ItemT = TypeVar("ItemT")
"""The type of a map's items."""
ResultT = TypeVar("ResultT")
"""The type of what a map's function or a parallel's branches return."""
E = TypeVar("E", bound=ExecutionError)


class _BatchSpec:
    """What differs between a map and a parallel.

    A plain class with slots: defining a frozen dataclass costs a fresh process's first map
    about 0.5 ms, and nothing changes a spec once made.
    """

    __slots__ = ("body", "branch_sub_type", "config", "names", "result_type", "sub_type")

    def __init__(
        self,
        *,
        sub_type: str,
        branch_sub_type: str,
        result_type: str,
        names: list[str],
        body: Callable[[Any, int], Awaitable[Any]],
        config: MapConfig | ParallelConfig,
    ) -> None:
        self.sub_type = sub_type
        self.branch_sub_type = branch_sub_type
        self.result_type = result_type
        self.names = names
        self.body = body
        """Starts branch ``index`` with the branch's context (of the caller's context type)."""
        self.config = config
        """Concurrency, completion, serializers, summary and nesting: the same fields in both."""


async def run_map(
    ctx: OperationScope,
    items: Iterable[Any],
    fn: Callable[..., Awaitable[Any]],
    name: str | None,
    config: MapConfig | None,
) -> BatchResult[Any]:
    """Run ``fn(child_ctx, item, index, items)`` for every item as the next operation of ``ctx``.

    Raises:
        ValidationError: ``fn`` is not callable, or the completion config asks for more
            successes than there are items (or batches).
    """
    config = config or default_config(MapConfig)
    _check_callable(fn, "fn")
    units = _map_units(ctx, items, config)
    config.completion_config.check_total(len(units))
    namer = config.item_namer

    # call_user_function asks this first too; asked once here instead of once per item.
    awaitable = inspect.iscoroutinefunction(fn)

    # Returns the item's coroutine rather than awaiting it: a coroutine less per item.
    def body(child: OperationScope, index: int) -> Awaitable[Any]:
        if awaitable:
            return fn(child, units[index], index, units)
        return call_user_function(fn, child, units[index], index, units)

    spec = _BatchSpec(
        sub_type=OperationSubType.MAP,
        branch_sub_type=OperationSubType.MAP_ITERATION,
        result_type="MapResult",
        names=[namer(unit, i) if namer else f"map-item-{i}" for i, unit in enumerate(units)],
        body=body,
        config=config,
    )
    return await _run_batch(ctx, spec, name)


def _map_units(ctx: OperationScope, items: Iterable[Any], config: MapConfig) -> Sequence[Any]:
    """Return what each iteration is given: the items, or groups of them."""
    # Indexes, names and ids are fixed by the items' order, so any iterable is taken as a list.
    items = items if isinstance(items, Sequence) else list(items)
    batcher = config.item_batcher
    if (
        not batcher.max_items_per_batch
        and not batcher.max_item_bytes_per_batch
        and batcher.batch_input is None
    ):
        return items  # the default: no grouping, and item_groups.py is not even imported
    from durable_lambda.core.operations.item_groups import group_items, grouping_enabled

    if not grouping_enabled(batcher):
        return items
    runtime = ctx.runtime

    def size_of(item: Any) -> int:
        return payload_size(write_value(runtime.serdes, item, "", runtime.execution_arn)[0])

    return group_items(items, batcher, size_of)


async def run_parallel(
    ctx: OperationScope,
    functions: Sequence[Callable[[Any], Awaitable[Any]]],
    branch_names: Sequence[str | None],
    name: str | None,
    config: ParallelConfig | None,
) -> BatchResult[Any]:
    """Run every branch with a child context of its own, as the next operation of ``ctx``.

    Args:
        ctx: The context the parallel is the next operation of.
        functions: Each branch's function, given the branch's context.
        branch_names: Each branch's name; None for ``parallel-branch-{index}`` (an explicit
            empty name is kept, as the official SDK keeps it).
        name: The parallel's name.
        config: Concurrency, completion, serializers, summary and nesting.

    Raises:
        ValidationError: a branch is not callable, or the completion config asks for more
            successes than there are branches.
    """
    config = config or default_config(ParallelConfig)
    config.completion_config.check_total(len(functions))
    for index, function in enumerate(functions):
        _check_callable(function, f"branches[{index}]")

    def body(child: OperationScope, index: int) -> Awaitable[Any]:
        return call_user_function(functions[index], child)

    spec = _BatchSpec(
        sub_type=OperationSubType.PARALLEL,
        branch_sub_type=OperationSubType.PARALLEL_BRANCH,
        result_type="ParallelResult",
        names=[
            f"parallel-branch-{i}" if branch_name is None else branch_name
            for i, branch_name in enumerate(branch_names)
        ],
        body=body,
        config=config,
    )
    return await _run_batch(ctx, spec, name)


def _check_callable(value: object, field: str) -> None:
    if not callable(value):
        raise ValidationError(
            f"{field} must be an async function given a DurableContext, not {type(value).__name__}",
            field=field,
        )


async def _run_batch(ctx: OperationScope, spec: _BatchSpec, name: str | None) -> BatchResult[Any]:
    runtime = ctx.runtime
    identity, op = begin(ctx, OperationType.CONTEXT, spec.sub_type, name)
    batch = _Batch(ctx, identity, spec)
    if op is not None:
        if op.Status is OperationStatus.FAILED:
            raise batch.error(op.error)
        if op.Status is OperationStatus.SUCCEEDED:
            if replays_children(op):
                return await batch.rebuild(op)
            return batch.read_result(op.result_payload)
    else:
        runtime.note_new_work()
        runtime.checkpointer.enqueue(context_update(identity, OperationAction.START))
    try:
        run = await run_branches(
            len(spec.names),
            batch.branches.start,
            max_concurrency=spec.config.max_concurrency,
            policy=CompletionPolicy.from_config(
                len(spec.names), spec.config.completion_config, spec.names
            ),
            give_way=runtime.checkpointer.sender_needs_the_loop,
            abandon=batch.abandon,
        )
    except SuspendExecution as suspension:  # no branch can progress in this invocation
        runtime.note_suspension(suspension, identity)
        raise
    return await batch.complete(result_of_run(run))


class _Batch:
    """One map or parallel operation: its branches, and its own checkpoints and replay."""

    def __init__(self, ctx: OperationScope, identity: OperationIdentity, spec: _BatchSpec) -> None:
        self.runtime = ctx.runtime
        self.identity = identity
        self.spec = spec
        self.serdes: SerDes[Any] = spec.config.serdes or self.runtime.serdes
        self.branches = BatchBranches(
            ctx.child_context(identity.operation_id),
            spec.branch_sub_type,
            spec.names,
            spec.body,
            spec.config.item_serdes or self.serdes,
            virtual=spec.config.nesting_type is NestingType.FLAT,
        )

    async def complete(self, result: BatchResult[Any]) -> BatchResult[Any]:
        """Checkpoint the parent's SUCCEED with ``result`` and return it as replay will."""
        runtime = self.runtime
        # A serializer of the user's own is handed the BatchResult itself, as in the official
        # SDK; the built-in ones write its dict form, which keeps the results' own types
        # (datetime, tuple...) where a pydantic dump would turn them into strings and lists.
        builtin = isinstance(self.serdes, JsonSerDes | EnvelopeSerDes)
        # Untyped JSON, and only scalars in the dict form: plain JSON, known without a walk.
        simple = self._reads_back_unchanged(result)
        payload = write_value(
            self.serdes,
            result.to_dict() if builtin else result,
            self.identity.operation_id,
            runtime.execution_arn,
            known_plain=simple,
        )[0]
        if isinstance(self.serdes, EnvelopeSerDes):
            payload = _official_batch_envelope(payload)
        if payload_size(payload) <= runtime.options.max_operation_payload_bytes:
            runtime.checkpointer.enqueue(
                context_update(self.identity, OperationAction.SUCCEED, payload)
            )
            await runtime.after_first_completion()
            if simple:
                return result  # reading the payload back would build an equal result
            return self.read_result(payload)
        try:
            summary = summary_envelope(
                result, self.spec.result_type, self.spec.config.summary_generator
            )
        except Exception as error:  # the user's summary generator failed: so does the batch
            error_object = error_object_from_exception(error)
            runtime.checkpointer.enqueue(
                context_update(self.identity, OperationAction.FAIL, error=error_object)
            )
            await runtime.after_first_completion()
            raise self.error(error_object) from error
        options = ContextOptions(ReplayChildren=True)
        update = context_update(
            self.identity, OperationAction.SUCCEED, summary, context_options=options
        )
        runtime.checkpointer.enqueue(update)
        await runtime.after_first_completion()
        return result

    def _reads_back_unchanged(self, result: BatchResult[Any]) -> bool:
        # Errors read back as dicts of their own; results only when they are simple scalars
        # (and only a serializer that writes those plainly: ``None`` asks it about itself).
        serdes = self.serdes
        if not reads_back_unchanged(serdes, None):
            return False
        for item in result.all:
            if item.error is not None or not reads_back_unchanged(serdes, item.result):
                return False
        return True

    def abandon(self, indexes: list[int], tasks: list[asyncio.Task[BranchOutcome]]) -> None:
        """Refuse every later checkpoint of the branches the batch cancels (reported unfinished)."""
        identities = self.branches.identities
        self.runtime.abandon(tasks, [identities[index].operation_id for index in indexes])

    def read_result(self, payload: str | None) -> BatchResult[Any]:
        """Read the parent's stored payload back as a ``BatchResult``.

        Raises:
            SerDesError: the payload does not hold a batch result.
        """
        value = self.runtime.read(self.serdes, payload, self.identity.operation_id)
        try:
            if isinstance(value, BatchResult):
                return value
            if isinstance(value, dict):
                return BatchResult.from_dict(value, self.spec.config.completion_config)
            raise SerDesError(f"the serializer returned {type(value).__name__}")
        except SerDesError as error:
            problem = SerDesError(
                f"the stored result of this {self.spec.sub_type} is not a batch result: "
                f"{error.message}",
                execution_arn=self.runtime.execution_arn,
                operation_id=self.identity.operation_id,
            )
            raise self._fatal(problem) from error

    async def rebuild(self, op: Operation) -> BatchResult[Any]:
        """Rebuild a result stored with ``ReplayChildren`` from the branches' checkpoints.

        The summary's completion record says which branches had started and which were still
        running, so the rebuilt result equals the one returned the first time; no branch body
        runs again (a branch whose own result was too large re-runs over its checkpoints).
        """
        record = CompletionRecord.from_summary(op.result_payload)
        if record is None:  # a summary without a record: derive every branch from its checkpoint
            items = [await self._rebuild_item(i, terminal=False) for i in range(len(self.branches))]
            return BatchResult.from_items(items, self.spec.config.completion_config)
        if record.started_total > len(self.branches):
            raise self._mismatch(f"{record.started_total} branches were started")
        items = []
        for index in range(record.started_total):
            if index in record.started_indexes:
                self.branches.checkpoint(index)
                items.append(started_item(index))
            else:
                items.append(await self._rebuild_item(index, terminal=True))
        return new_result(items, record.completion_reason)

    async def _rebuild_item(self, index: int, *, terminal: bool) -> BatchItem[Any]:
        if terminal and self.branches.virtual:
            # A FLAT branch checkpoints nothing itself: its body runs again over its operations'
            # checkpoints, which tell its success from its failure (as the official SDK does).
            return item_of(await self.branches.start(index))
        op = self.branches.checkpoint(index)
        if op is None or op.Status not in (OperationStatus.SUCCEEDED, OperationStatus.FAILED):
            if terminal:
                raise self._mismatch(f"branch {index} finished, but its checkpoint has not")
            return started_item(index)
        return item_of(await self.branches.run(index, op))

    def error(self, error: ErrorObject | None) -> ChildContextError:
        """Return the error a failed parent CONTEXT raises."""
        return ChildContextError.from_error_object(
            error,
            execution_arn=self.runtime.execution_arn,
            operation_id=self.identity.operation_id,
            operation_name=self.identity.name,
        )

    def _mismatch(self, what: str) -> NonDeterministicExecutionError:
        return self._fatal(
            NonDeterministicExecutionError(
                f"non-deterministic replay: the stored {self.spec.sub_type} result says {what}, "
                f"but the code now has {len(self.branches)} branches or other checkpoints",
                execution_arn=self.runtime.execution_arn,
                operation_id=self.identity.operation_id,
                operation_name=self.identity.name,
            )
        )

    def _fatal(self, error: E) -> E:
        # Recorded on the state so that the execution fails even if user code catches it.
        self.runtime.state.fatal_error = self.runtime.state.fatal_error or error
        return error


def _official_batch_envelope(payload: str) -> str:
    # EnvelopeSerDes writes the dict form as a map ("m"); the official SDK writes a BatchResult
    # as the same value under its own tag ("br") and reads nothing else back as a BatchResult.
    # Retagging keeps an execution movable back to the official SDK, as EnvelopeSerDes promises.
    prefix = '{"t":"m",'
    if payload.startswith(prefix):
        return '{"t":"br",' + payload[len(prefix) :]
    return payload
