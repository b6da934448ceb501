"""Durable promise combinators: ``all``, ``all_settled``, ``race`` and ``any``.

The awaitables are durable calls made on the combinator's own context (``ctx.step(...)``,
``ctx.wait(...)``, ``callback.result()``, ``ctx.run_in_child_context(...)``, another combinator),
passed *unawaited*. The combinator runs each one up to its first ``await`` right away, in list
order, then lets an asyncio task finish it; a durable call takes its operation id before its
first ``await``, so the ids are taken in list order. An awaitable must therefore take every id it
takes before it first waits (a combinator does: it starts its own awaitables in its first step);
to chain several operations in one branch, wrap them in ``ctx.run_in_child_context``, which takes
one id here and numbers the rest inside.

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

The record. On replay every operation that completed earlier resolves at once, so "first" would
become "lowest index". The decision is therefore checkpointed as an operation of its own: a
CONTEXT with subtype ``All``, ``AllSettled``, ``Race`` or ``Any`` and the combinator's name. Its
id is taken *before* the awaitables' ids, when the combinator is called; its START is queued
then, and it is closed once the outcome is known: SUCCEED with the decision as its payload when
the combinator returns, FAIL when it raises (the decision then rides in ``Error.ErrorData``).
The decision is JSON such as ``{"outcome":"SUCCEEDED","winner":0,"settled":"SC","ids":[1,1]}``:
the index whose outcome decided (null when every awaitable counted), one letter per awaitable
(``S`` succeeded, ``F`` failed, ``P`` pending, ``C`` cancelled), and how many operation ids each
awaitable took. A combinator that suspends leaves the record STARTED; the next invocation runs
the awaitables again (completed ones replay at once, in list order) and decides then.

Replay. When the record is closed, only the awaitables whose outcome counts are awaited (the
winner, or all of them for ``all``/``all_settled`` successes and ``any`` failures); they replay
from their own checkpoints. Every other awaitable is closed unawaited and the ids it took are
skipped, so no loser's body runs again and the operations after the combinator keep their ids.

Losers. Once a combinator settles early (``race``, ``any`` with a success, ``all`` with a
failure), the unfinished branches are cancelled as asyncio tasks and awaited: an async step body
gets ``CancelledError`` at its current ``await``; a plain-function body keeps running in its worker
thread but its result is abandoned. Such a step stays STARTED in the service. Every WAIT a loser
started on this context (itself, or through a nested combinator) that the service still has
STARTED gets a CANCEL update, sent after the record is closed (a cancelled wait replays as
done, so a crash in between must not let it win a re-run). A wait whose START is still queued is
flushed first: the service refuses a START and a CANCEL of one wait in the same call. Waits
inside a losing child context, callbacks and chained invokes cannot be cancelled by the
protocol: they stay open, harmlessly.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import types
from collections.abc import Awaitable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from durable_lambda.core.errors import (
    CheckpointError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    NonDeterministicExecutionError,
    SerDesError,
    SuspendExecution,
    ValidationError,
    error_object_from_exception,
)
from durable_lambda.core.ids import operation_id as derive_operation_id
from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.context import DurableContext

__all__ = ["AllFailedError", "CombinatorKind", "SettledResult", "run_combinator"]

T = TypeVar("T")

# Errors that end the invocation or the execution, never a branch's settled failure.
_FATAL = (ExecutionError, InvocationError, CheckpointError)
_MAX_RECORD_MESSAGE = 1024


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


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one branch ended in this invocation."""

    value: Any = None
    error: Exception | None = None
    suspended: bool = False
    cancelled: bool = False

    @property
    def code(self) -> str:
        if self.suspended:
            return "P"
        if self.cancelled:
            return "C"
        return "F" if self.error is not None else "S"

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


@dataclass(frozen=True, slots=True)
class _Decision:
    """The checkpointed outcome of a combinator (see the module docstring)."""

    failed: bool
    winner: int | None
    settled: str
    ids: tuple[int, ...]

    def to_json(self) -> str:
        outcome = OperationStatus.FAILED if self.failed else OperationStatus.SUCCEEDED
        data = {"outcome": outcome.value, "winner": self.winner, "settled": self.settled}
        return json.dumps({**data, "ids": list(self.ids)}, separators=(",", ":"))

    def replayed(self, count: int) -> range | tuple[int]:
        return range(count) if self.winner is None else (self.winner,)

    @classmethod
    def read(cls, op: Operation, identity: OperationIdentity, arn: str) -> _Decision:
        failed = op.Status is OperationStatus.FAILED
        text = (op.error.ErrorData if op.error else None) if failed else op.result_payload
        try:
            data = json.loads(text or "")
            winner = data["winner"]
            ids = tuple(int(n) for n in data["ids"])
            if winner is not None and not 0 <= int(winner) < len(ids):
                raise ValueError(f"winner {winner} out of range")
            return cls(failed, None if winner is None else int(winner), str(data["settled"]), ids)
        except (TypeError, ValueError, KeyError) as error:
            raise SerDesError(
                f"the combinator's checkpointed decision cannot be read ({error}): {text!r}",
                execution_arn=arn,
                operation_id=identity.operation_id,
                operation_name=identity.name,
            ) from error


async def run_combinator(
    ctx: DurableContext,
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
    _check_unstarted(items)
    if kind is CombinatorKind.RACE and not items:
        raise ValidationError("race needs at least one awaitable", field="awaitables")
    runtime = ctx.runtime
    identity = ctx.next_identity(OperationType.CONTEXT, kind.value, name)
    try:
        op = runtime.state.checked(identity)
    except BaseException:
        _discard(items)
        raise
    if op is not None and op.Status in (OperationStatus.SUCCEEDED, OperationStatus.FAILED):
        try:
            decision = _Decision.read(op, identity, runtime.execution_arn)
        except SerDesError:
            _discard(items)
            raise
        outcomes = await _replay(ctx, items, decision, identity)
        combined = _combine(ctx, kind, identity, decision.winner, outcomes, len(items))
        if (combined.error is not None) != decision.failed:
            raise _mismatch(ctx, identity, "the replayed outcome differs from the checkpointed one")
        return combined.unwrap()
    if op is None:
        try:
            runtime.note_new_work()
        except BaseException:
            _discard(items)  # ending here (always-replay, replay-only): close what never ran
            raise
        runtime.checkpointer.enqueue(_record_update(identity, OperationAction.START))
    winner, outcomes, starts = await _run(ctx, kind, items)
    combined = _combine(ctx, kind, identity, winner, outcomes, len(items))
    settled = "".join(outcomes[i].code for i in range(len(items)))
    ids = tuple(starts[i + 1] - starts[i] for i in range(len(items)))
    decision = _Decision(combined.error is not None, winner, settled, ids)
    # Recording the outcome finishes work already under way: it must not be cut short here.
    runtime.replaying = False
    action = OperationAction.FAIL if decision.failed else OperationAction.SUCCEED
    runtime.checkpointer.enqueue(_record_update(identity, action, decision, combined.error))
    if winner is not None:
        await _cancel_losing_waits(ctx, winner, starts)
    await runtime.after_first_completion()
    return combined.unwrap()


async def _run(
    ctx: DurableContext, kind: CombinatorKind, items: list[Awaitable[Any]]
) -> tuple[int | None, dict[int, _Outcome], list[int]]:
    """Run every awaitable as a task; return the deciding index, the outcomes, the id positions.

    ``starts[i]`` is how many ids the context had taken when awaitable ``i`` started; the last
    entry is the count once all had started. Raises ``SuspendExecution`` when nothing decided.
    """
    count = len(items)
    starts = [0] * (count + 1)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Any]] = []
    for i, item in enumerate(items):
        starts[i] = ctx.operations_started()
        coro, context = _start(item)
        tasks.append(loop.create_task(coro, context=context))
    starts[count] = ctx.operations_started()
    index_of = {task: i for i, task in enumerate(tasks)}
    outcomes: dict[int, _Outcome] = {}
    winner: int | None = None
    try:
        pending = set(tasks)
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=index_of.__getitem__):
                outcomes[index_of[task]] = _outcome_of(task)
                if _decides(kind, outcomes[index_of[task]]):
                    winner = index_of[task]
                    break
    finally:
        await _cancel(tasks)
    for i, task in enumerate(tasks):
        if i not in outcomes:
            outcomes[i] = _outcome_of(task)
    if winner is None and any(outcome.suspended for outcome in outcomes.values()):
        raise SuspendExecution
    return winner, outcomes, starts


async def _replay(
    ctx: DurableContext,
    items: list[Awaitable[Any]],
    decision: _Decision,
    identity: OperationIdentity,
) -> dict[int, _Outcome]:
    """Await only the awaitables whose outcome counts; skip the ids of the others."""
    if len(decision.ids) != len(items):
        _discard(items)
        raise _mismatch(
            ctx,
            identity,
            f"the combinator was checkpointed with {len(decision.ids)} awaitables, "
            f"the code gave {len(items)}",
        )
    replayed = decision.replayed(len(items))
    loop = asyncio.get_running_loop()
    counted: dict[int, asyncio.Task[Any]] = {}
    for i, item in enumerate(items):
        if i in replayed:
            coro, context = _start(item)
            counted[i] = loop.create_task(coro, context=context)
        else:
            _discard([item])
            _skip_ids(ctx, decision.ids[i])
    try:
        if counted:
            await asyncio.wait(counted.values())
    finally:
        await _cancel(list(counted.values()))
    outcomes = {i: _outcome_of(task) for i, task in counted.items()}
    if any(outcome.suspended or outcome.cancelled for outcome in outcomes.values()):
        raise SuspendExecution
    return outcomes


def _combine(
    ctx: DurableContext,
    kind: CombinatorKind,
    identity: OperationIdentity,
    winner: int | None,
    outcomes: dict[int, _Outcome],
    count: int,
) -> _Outcome:
    """Return the combinator's own outcome, from the deciding index and the branches'."""
    if winner is not None:
        return outcomes[winner]
    if kind is CombinatorKind.ANY:
        errors = [outcomes[i].error for i in range(count)]
        return _Outcome(
            error=AllFailedError(
                f"every one of the {count} awaitables given to any() failed",
                errors=[error for error in errors if error is not None],
                execution_arn=ctx.runtime.execution_arn,
                operation_id=identity.operation_id,
                operation_name=identity.name,
            )
        )
    if kind is CombinatorKind.ALL:
        return _Outcome(value=[outcomes[i].value for i in range(count)])
    return _Outcome(
        value=[SettledResult(i, outcomes[i].value, outcomes[i].error) for i in range(count)]
    )


def _decides(kind: CombinatorKind, outcome: _Outcome) -> bool:
    """Whether this branch's outcome settles the combinator before the others finish."""
    if outcome.suspended or outcome.cancelled:
        return False
    if kind is CombinatorKind.RACE:
        return True
    if kind is CombinatorKind.ANY:
        return outcome.error is None
    return kind is CombinatorKind.ALL and outcome.error is not None


def _start(item: Awaitable[Any]) -> tuple[Coroutine[Any, Any, Any], contextvars.Context | None]:
    """Run a coroutine's first step now; return a coroutine that finishes it, and its context.

    Running every awaitable up to its first ``await`` before anything else runs is what makes
    each take its operation ids in list order, including combinators nested in combinators
    (which start their own awaitables in their first step). The step runs in a copy of the
    current context, which the task that finishes the coroutine then keeps. Other awaitables
    (futures, tasks) took their ids when they were created.
    """
    if not inspect.iscoroutine(item):
        return _awaiting(item), None
    context = contextvars.copy_context()
    try:
        first = context.run(item.send, None)
    except StopIteration as stop:
        return _finished(stop.value, None), context
    except BaseException as error:  # SuspendExecution included: the task re-raises it
        return _finished(None, error), context
    return _finishing(item, first), context


async def _finishing(coro: Coroutine[Any, Any, Any], first: Any) -> Any:
    return await _resume(coro, first)


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], first: Any) -> Generator[Any, Any, Any]:
    """Drive the rest of a coroutine whose first step already ran, as ``yield from`` would."""
    value = first
    while True:
        try:
            sent = yield value
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as error:  # thrown in by the task: cancellation
            try:
                value = coro.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                value = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _awaiting(item: Awaitable[Any]) -> Any:
    return await item


async def _finished(value: Any, error: BaseException | None) -> Any:
    if error is not None:
        raise error
    return value


def _check_unstarted(items: Sequence[Awaitable[Any]]) -> None:
    """Refuse a coroutine that already started or appears twice: it cannot start in order."""
    seen: set[int] = set()
    for item in items:
        if inspect.iscoroutine(item) and (
            inspect.getcoroutinestate(item) != inspect.CORO_CREATED or id(item) in seen
        ):
            raise ValidationError(
                "pass each durable call unawaited and only once, e.g. "
                "ctx.race([ctx.step(a), ctx.wait(d)])",
                field="awaitables",
            )
        seen.add(id(item))


def _skip_ids(ctx: DurableContext, count: int) -> None:
    """Take the ids a losing awaitable took on the first run, without running it."""
    for _ in range(count):
        ctx.next_identity(OperationType.STEP, None, None)


def _discard(items: Sequence[Any]) -> None:
    """Let go of awaitables that will never be awaited, without warnings or stray work.

    A coroutine that was never started is closed, and so are the unstarted coroutines it was
    given as arguments, alone or in a list (``labelled(ctx.wait(...))``, ``ctx.all([...])``):
    they would never run either, and Python warns about every coroutine collected unawaited.
    """
    for item in items:
        if isinstance(item, list | tuple):
            _discard(item)
        elif inspect.iscoroutine(item):
            frame = item.cr_frame
            if frame is not None and inspect.getcoroutinestate(item) == inspect.CORO_CREATED:
                _discard(list(frame.f_locals.values()))
            item.close()
        elif isinstance(item, asyncio.Future):
            item.cancel()


def _outcome_of(task: asyncio.Task[Any]) -> _Outcome:
    """Classify a finished task; errors that end the invocation are raised, not settled."""
    if task.cancelled():
        return _Outcome(cancelled=True)
    error = task.exception()
    if error is None:
        return _Outcome(value=task.result())
    if isinstance(error, SuspendExecution):
        return _Outcome(suspended=True)
    if isinstance(error, _FATAL) or not isinstance(error, Exception):
        raise error
    return _Outcome(error=error)


async def _cancel(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel the unfinished tasks and wait until they are finished."""
    unfinished = [task for task in tasks if not task.done()]
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    for task in tasks:  # mark every error as seen: asyncio would log unread ones
        if not task.cancelled():
            task.exception()


async def _cancel_losing_waits(ctx: DurableContext, winner: int, starts: list[int]) -> None:
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


def _record_update(
    identity: OperationIdentity,
    action: OperationAction,
    decision: _Decision | None = None,
    error: Exception | None = None,
) -> OperationUpdate:
    """START the record, or close it: SUCCEED with the decision, or FAIL carrying it."""
    recorded = None
    if error is not None and decision is not None:
        described = error_object_from_exception(error)
        recorded = ErrorObject(
            ErrorType=described.ErrorType,
            ErrorMessage=(described.ErrorMessage or "")[:_MAX_RECORD_MESSAGE],
            ErrorData=decision.to_json(),
        )
    return OperationUpdate(
        Id=identity.operation_id,
        ParentId=identity.parent_id,
        Name=identity.name,
        Type=OperationType.CONTEXT,
        SubType=identity.sub_type,
        Action=action,
        Payload=decision.to_json() if decision is not None and error is None else None,
        Error=recorded,
    )


def _mismatch(
    ctx: DurableContext, identity: OperationIdentity, message: str
) -> NonDeterministicExecutionError:
    return NonDeterministicExecutionError(
        f"non-deterministic replay of a combinator: {message}",
        execution_arn=ctx.runtime.execution_arn,
        operation_id=identity.operation_id,
        operation_name=identity.name,
    )
