"""Durable promise combinators: ``all``, ``all_settled``, ``race`` and ``any``.

The awaitables are durable calls made on the combinator's own context (``ctx.step(...)``,
``ctx.wait(...)``, ``callback.result()``, ``ctx.run_in_child_context(...)``, another combinator),
passed *unawaited*. The combinator runs each one up to its first ``await`` right away, in list
order, then lets an asyncio task finish it (``combinator_tasks``); a durable call takes its
operation id before its first ``await``, so the ids are taken in list order. An awaitable must
therefore take every id it takes before it first waits (a combinator does: it starts its own
awaitables in its first step); to chain several operations in one branch, wrap them in
``ctx.run_in_child_context``, which takes one id here and numbers the rest inside.

Outcomes, with suspension (a branch that cannot progress in this invocation is *pending*, not
settled):

* ``all``: the values in list order; the first failure raises at once. If none failed but some
  are pending, the combinator suspends once every other branch has finished.
* ``all_settled``: a ``SettledResult`` per awaitable, in list order; suspends while any is pending.
* ``race``: the first to settle wins, value or error; suspends while all are pending.
* ``any``: the first success wins; when every one failed, ``AllFailedError`` carries their
  errors in list order; suspends while none succeeded and some are pending.

Empty lists: ``all`` and ``all_settled`` return ``[]``, ``any`` raises ``AllFailedError``, ``race``
raises ``ValidationError``. Errors that end the invocation or the execution (non-determinism, a
failed checkpoint) are never a branch's outcome: they cancel the other branches and propagate.

The record. The decision is checkpointed as a CONTEXT operation of its own (subtype ``All``,
``AllSettled``, ``Race`` or ``Any``), so every replay picks the same winner: see
``durable_lambda.core.operations.combinator_record``. A combinator that suspends leaves it
STARTED and decides again in the next invocation.

Replay. When the record is closed, only the awaitables whose outcome counts are awaited (the
winner, or all of them for ``all``/``all_settled`` successes and ``any`` failures); they replay
from their own checkpoints. Every other awaitable is closed unawaited and the ids it took are
skipped, so no loser's body runs again and the operations after the combinator keep their ids.

Losers. Once a combinator settles early (``race``, ``any`` with a success, ``all`` with a
failure), the unfinished branches are cancelled as asyncio tasks and awaited: an async step body
gets ``CancelledError`` at its current ``await``; a plain-function body keeps running in its worker
thread but its result is abandoned. Such a step stays STARTED in the service: from the moment
they are cancelled the runtime refuses every checkpoint of the losers' tasks (``core/orphans.py``),
so a loser that catches the cancellation records nothing more. Every WAIT a loser
started on this context (itself, or through a nested combinator) that the service still has
STARTED gets a CANCEL update, sent after the record is closed (a cancelled wait replays as
done, so a crash in between must not let it win a re-run). A wait whose START is still queued is
flushed first: the service refuses a START and a CANCEL of one wait in the same call. Waits
inside a losing child context, callbacks and chained invokes cannot be cancelled by the
protocol: they stay open, harmlessly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from durable_lambda.core.errors import (
    DurableOperationError,
    SerDesError,
    ValidationError,
)
from durable_lambda.core.ids import operation_id as derive_operation_id
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operations.combinator_record import (
    Decision,
    record_update,
    replay_mismatch,
)
from durable_lambda.core.operations.combinator_tasks import (
    Outcome,
    cancel_all,
    check_unstarted,
    discard,
    outcome_of,
    start_task,
)
from durable_lambda.core.operations.skeleton import begin
from durable_lambda.core.operations.updates import located
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["AllFailedError", "CombinatorKind", "SettledResult", "run_combinator"]

T = TypeVar("T")


class CombinatorKind(StrEnum):
    """The four combinators, valued as the subtype of their record."""

    ALL = "All"
    ALL_SETTLED = "AllSettled"
    RACE = "Race"
    ANY = "Any"


@dataclass(frozen=True)  # no slots: typing sets __orig_class__ on SettledResult[int](...)
class SettledResult(Generic[T]):
    """How one awaitable of ``all_settled`` ended.

    Attributes:
        index: Its position in the list given to ``all_settled``.
        value: What it returned (None when it failed).
        error: What it raised (None when it succeeded).
    """

    index: int
    value: T | None = None
    error: Exception | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the awaitable returned a value."""
        return self.error is None

    def get(self) -> T:
        """Return the value, or raise the error.

        Raises:
            Exception: the awaitable's own error, when it failed.
        """
        if self.error is not None:
            raise self.error
        return cast(T, self.value)


class AllFailedError(DurableOperationError):
    """Every awaitable given to ``any`` failed.

    Args:
        message: What happened.
        errors: The awaitables' errors, in list order.
    """

    def __init__(self, message: str, *, errors: Sequence[Exception] = (), **where: Any) -> None:
        super().__init__(message, **where)
        self.errors = tuple(errors)


async def run_combinator(
    ctx: OperationScope,
    kind: CombinatorKind,
    awaitables: Sequence[Awaitable[Any]],
    name: str | None,
) -> Any:
    """Run ``awaitables`` under the combinator ``kind`` (see the module docstring).

    Raises:
        ValidationError: ``race`` was given no awaitables.
        NonDeterministicExecutionError: another operation, or another number of awaitables,
            was checkpointed here.
    """
    items = list(awaitables)
    check_unstarted(items)
    if kind is CombinatorKind.RACE and not items:
        raise ValidationError("race needs at least one awaitable", field="awaitables")
    runtime = ctx.runtime
    try:
        identity, op = begin(ctx, OperationType.CONTEXT, kind.value, name)
    except BaseException:
        discard(items)
        raise
    if op is not None and op.Status in (OperationStatus.SUCCEEDED, OperationStatus.FAILED):
        return await _replay_closed(ctx, kind, items, op, identity)
    if op is None:
        try:
            runtime.note_new_work()
        except BaseException:
            discard(items)  # ending here (always-replay, replay-only): close what never ran
            raise
        runtime.checkpointer.enqueue(record_update(identity, OperationAction.START))
    return await _decide(ctx, kind, items, identity)


async def _replay_closed(
    ctx: OperationScope,
    kind: CombinatorKind,
    items: list[Awaitable[Any]],
    op: Operation,
    identity: OperationIdentity,
) -> Any:
    """Return (or raise) the outcome the closed record ``op`` decided, awaiting only what counts."""
    arn = ctx.runtime.execution_arn
    try:
        decision = Decision.read(op, identity, arn)
    except SerDesError:
        discard(items)
        raise
    outcomes = await _replay(ctx, items, decision, identity)
    combined = _combine(ctx, kind, identity, decision.winner, outcomes, len(items))
    if (combined.error is not None) != decision.failed:
        message = "the replayed outcome differs from the checkpointed one"
        raise replay_mismatch(arn, identity, message)
    return combined.unwrap()


async def _decide(
    ctx: OperationScope,
    kind: CombinatorKind,
    items: list[Awaitable[Any]],
    identity: OperationIdentity,
) -> Any:
    """Run the awaitables, close the record with the decision, and return (or raise) it."""
    runtime = ctx.runtime
    winner, outcomes, starts = await _run(ctx, kind, items, identity)
    combined = _combine(ctx, kind, identity, winner, outcomes, len(items))
    settled = "".join(outcomes[i].code for i in range(len(items)))
    ids = tuple(starts[i + 1] - starts[i] for i in range(len(items)))
    decision = Decision(combined.error is not None, winner, settled, ids)
    # Recording the outcome finishes work already under way: it must not be cut short here.
    runtime.replaying = False
    action = OperationAction.FAIL if decision.failed else OperationAction.SUCCEED
    runtime.checkpointer.enqueue(record_update(identity, action, decision, combined.error))
    if winner is not None:
        await _cancel_losing_waits(ctx, winner, starts)
    await runtime.after_first_completion()
    return combined.unwrap()


async def _run(
    ctx: OperationScope,
    kind: CombinatorKind,
    items: list[Awaitable[Any]],
    identity: OperationIdentity,
) -> tuple[int | None, dict[int, Outcome], list[int]]:
    """Run every awaitable as a task; return the deciding index, the outcomes, the id positions.

    ``starts[i]`` is how many ids the context had taken when awaitable ``i`` started; the last
    entry is the count once all had started. Raises ``SuspendExecution`` when nothing decided.
    """
    runtime = ctx.runtime
    count = len(items)
    starts = [0] * (count + 1)
    tasks: list[asyncio.Task[Any]] = []
    for i, item in enumerate(items):
        starts[i] = ctx.operations_started()
        tasks.append(start_task(item, runtime.absorb))
    starts[count] = ctx.operations_started()
    index_of = {task: i for i, task in enumerate(tasks)}
    outcomes: dict[int, Outcome] = {}
    winner: int | None = None
    try:
        pending = set(tasks)
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=index_of.__getitem__):
                outcomes[index_of[task]] = outcome_of(task, runtime.absorb)
                if _decides(kind, outcomes[index_of[task]]):
                    winner = index_of[task]
                    break
    finally:
        _abandon_unfinished(ctx, tasks)
        await cancel_all(tasks)
    for i, task in enumerate(tasks):
        if i not in outcomes:
            outcomes[i] = outcome_of(task, runtime.absorb)
    if winner is None and any(outcome.suspended for outcome in outcomes.values()):
        raise runtime.suspension(identity)
    return winner, outcomes, starts


async def _replay(
    ctx: OperationScope,
    items: list[Awaitable[Any]],
    decision: Decision,
    identity: OperationIdentity,
) -> dict[int, Outcome]:
    """Await only the awaitables whose outcome counts; skip the ids of the others."""
    if len(decision.ids) != len(items):
        discard(items)
        raise replay_mismatch(
            ctx.runtime.execution_arn,
            identity,
            f"the combinator was checkpointed with {len(decision.ids)} awaitables, "
            f"the code gave {len(items)}",
        )
    runtime = ctx.runtime
    replayed = decision.replayed(len(items))
    counted: dict[int, asyncio.Task[Any]] = {}
    for i, item in enumerate(items):
        if i in replayed:
            counted[i] = start_task(item, runtime.absorb)
        else:
            discard([item])
            _skip_ids(ctx, decision.ids[i])
    try:
        if counted:
            await asyncio.wait(counted.values())
    finally:
        _abandon_unfinished(ctx, list(counted.values()))
        await cancel_all(list(counted.values()))
    outcomes = {i: outcome_of(task, runtime.absorb) for i, task in counted.items()}
    if any(outcome.suspended or outcome.cancelled for outcome in outcomes.values()):
        raise runtime.suspension(identity)
    return outcomes


def _combine(
    ctx: OperationScope,
    kind: CombinatorKind,
    identity: OperationIdentity,
    winner: int | None,
    outcomes: dict[int, Outcome],
    count: int,
) -> Outcome:
    """Return the combinator's own outcome, from the deciding index and the branches'."""
    if winner is not None:
        return outcomes[winner]
    if kind is CombinatorKind.ANY:
        errors = [outcomes[i].error for i in range(count)]
        return Outcome(
            error=AllFailedError(
                f"every one of the {count} awaitables given to any() failed",
                errors=[error for error in errors if error is not None],
                **located(identity, ctx.runtime.execution_arn),
            )
        )
    if kind is CombinatorKind.ALL:
        return Outcome(value=[outcomes[i].value for i in range(count)])
    return Outcome(
        value=[SettledResult(i, outcomes[i].value, outcomes[i].error) for i in range(count)]
    )


def _decides(kind: CombinatorKind, outcome: Outcome) -> bool:
    """Whether this branch's outcome settles the combinator before the others finish."""
    if outcome.suspended or outcome.cancelled:
        return False
    if kind is CombinatorKind.RACE:
        return True
    if kind is CombinatorKind.ANY:
        return outcome.error is None
    return kind is CombinatorKind.ALL and outcome.error is not None


def _abandon_unfinished(ctx: OperationScope, tasks: list[asyncio.Task[Any]]) -> None:
    """Refuse the checkpoints of the tasks about to be cancelled (losers; see ``orphans``)."""
    unfinished = [task for task in tasks if not task.done()]
    if unfinished:
        ctx.runtime.abandon(unfinished)


def _skip_ids(ctx: OperationScope, count: int) -> None:
    """Take the ids a losing awaitable took on the first run, without running it."""
    for _ in range(count):
        ctx.next_operation_id(None)


async def _cancel_losing_waits(ctx: OperationScope, winner: int, starts: list[int]) -> None:
    """Send CANCEL for every WAIT a losing awaitable started that the service still runs."""
    runtime = ctx.runtime
    candidates = [
        derive_operation_id(ctx.id_prefix, position)
        for i in range(len(starts) - 1)
        if i != winner
        for position in range(starts[i] + 1, starts[i + 1] + 1)
    ]
    if any(runtime.state.get(op_id) is None for op_id in candidates):
        # A START still queued: the service refuses a CANCEL in the same call as its START.
        await runtime.checkpointer.flush()
    for op_id in candidates:
        op = runtime.state.get(op_id)
        if (
            op is not None
            and op.Type is OperationType.WAIT
            and op.Status is OperationStatus.STARTED
        ):
            runtime.checkpointer.enqueue(
                OperationUpdate(
                    Id=op.Id,
                    ParentId=op.ParentId,
                    Name=op.Name,
                    Type=OperationType.WAIT,
                    SubType=op.SubType,
                    Action=OperationAction.CANCEL,
                )
            )
