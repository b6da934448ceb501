"""One replay: today's handler run over a recorded execution, executing nothing, watched closely.

The handler runs as an invocation would, over a state that notes every operation the code looks
up (``_TrackingState``, the engine's own determinism check underneath) and a runtime that stops
each branch where the record ends (``_ReplayRuntime``: the first operation that would run for
the first time suspends that branch, as a wait would, so concurrent branches still replay all
they recorded). Nothing is written anywhere: checkpoints go to a sink. No step body runs.

By default the children of completed contexts (map, parallel, child contexts) are replayed too:
each completed context is presented as one that stored a summary, so the engine rebuilds its
result from its children, checking each of them. ``shallow`` reads their stored results instead.

Then the report: which recorded operations were visited and matched, which the code should have
reached and did not, and the first divergence.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import sysconfig
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import durable_lambda
from durable_lambda.app.container import local_container
from durable_lambda.app.replayer.record_view import RecordView
from durable_lambda.app.replayer.recorded import RecordedExecution
from durable_lambda.app.replayer.report import (
    Divergence,
    DivergenceKind,
    ReplayReport,
    SourceLine,
)
from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import (
    NonDeterministicExecutionError,
    SuspendExecution,
    ValidationError,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionState,
    Operation,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import ExecutionRuntime, RuntimeOptions
from durable_lambda.core.serdes import SerDes
from durable_lambda.core.state import DurableState, NotSucceeded, OperationIdentity
from durable_lambda.service.record import ExecutionStatus

__all__ = ["replay_recorded"]

Handler = Callable[[Any, DurableContext], Awaitable[Any]]


async def replay_recorded(
    handler: Handler,
    serdes: SerDes[Any],
    recorded: RecordedExecution,
    *,
    shallow: bool = False,
) -> ReplayReport:
    """Replay ``handler`` over ``recorded`` and report what matched and where it first differs.

    Args:
        handler: Today's ``async def handler(event, ctx)``.
        serdes: The serializer its results were stored with.
        recorded: The execution to replay.
        shallow: Read completed contexts' stored results instead of replaying their children.

    Returns:
        The report.
    """
    record = RecordView(recorded, shallow, serdes)
    watcher = _Watcher(record)
    state = _TrackingState(recorded.arn, record.presented(), watcher)
    checkpointer = Checkpointer(_Sink(), state, "replay", CheckpointMode.BATCHED)
    runtime = _ReplayRuntime(
        watcher,
        state=state,
        checkpointer=checkpointer,
        serdes=serdes,
        clock=local_container(clock="fake").clock(),  # a check: no time passes
        random=random.Random(0),
        logger=NullLogger(),  # a check, not a run: the handler's lines stay unwritten
        options=RuntimeOptions(),
    )
    outcome, error = await _run(handler, runtime, recorded)
    return watcher.report(outcome, error)


async def _run(
    handler: Handler, runtime: ExecutionRuntime, recorded: RecordedExecution
) -> tuple[str, BaseException | None]:
    state = runtime.state
    event = _user_event(recorded)
    error: BaseException | None
    try:
        await handler(event, DurableContext(runtime))
        outcome, error = "returned", state.fatal_error
    except SuspendExecution:
        outcome, error = "suspended", state.fatal_error
    except Exception as raised:
        outcome, error = "raised", state.fatal_error or raised
    # What the sink acknowledges; nothing is kept, and the report is what matters.
    with contextlib.suppress(Exception):
        await runtime.checkpointer.flush()
    if error is not None and outcome != "raised":
        outcome = "raised"  # the engine fails the invocation with it
    return outcome, error


def _user_event(recorded: RecordedExecution) -> Any:
    details = recorded.execution.ExecutionDetails
    payload = details.InputPayload if details else None
    if not payload or not payload.strip():
        return {}
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise ValidationError(
            f"{recorded.source or recorded.arn}: the recorded input is not valid JSON ({error})",
            field="input",
        ) from None


class _Watcher:
    """What the replay saw: lookups, matches, the first divergence; and the report from them."""

    def __init__(self, record: RecordView) -> None:
        self.record = record
        self.matched: dict[str, None] = {}
        self.last: tuple[OperationIdentity, bool] | None = None
        self.divergence: Divergence | None = None

    def looked_up(self, identity: OperationIdentity) -> None:
        self.last = (identity, identity.operation_id in self.record.by_id)

    def matched_one(self, operation_id: str) -> None:
        if operation_id in self.record.by_id:
            self.matched[operation_id] = None

    def mismatched(
        self, identity: OperationIdentity, error: NonDeterministicExecutionError
    ) -> None:
        if self.divergence is not None:
            return
        recorded = self.record.by_id.get(identity.operation_id)
        self.divergence = Divergence(
            kind=DivergenceKind.MISMATCH,
            summary=error.message,
            recorded=self.record.ref(recorded) if recorded is not None else None,
            attempted=self.record.attempted(identity),
            source=_source_line(traceback.extract_stack()),
        )

    def reached_new_work(self) -> None:
        """Note that the code wants to run something for the first time: the record ends here."""
        if self.last is None or self.divergence is not None:
            return
        identity, recorded = self.last
        if recorded or not self.record.closed(identity.parent_id):
            return  # pending recorded work, or the end of what was recorded so far: fine
        where = self.record.path_of(identity.parent_id)
        context = " > ".join(where) if where else "the execution"
        attempted = self.record.attempted(identity)
        self.divergence = Divergence(
            kind=DivergenceKind.NEW_OPERATION,
            summary=(
                f"the code started {attempted.label()} in {context}, which the record shows "
                f"finished before it"
            ),
            attempted=attempted,
            source=_source_line(traceback.extract_stack()),
        )

    def report(self, ended: str, error: BaseException | None) -> ReplayReport:
        record = self.record
        recorded = record.recorded
        divergence = self.divergence or self._from_ending(ended, error)
        # The operation a mismatch names was reached: it is the divergence, not unvisited.
        reached = divergence.recorded.operation_id if divergence and divergence.recorded else None
        unvisited = tuple(
            record.ref(op)
            for op in record.expected
            if op.Id not in self.matched and op.Id != reached
        )
        if divergence is None and unvisited:
            first = unvisited[0]
            divergence = Divergence(
                kind=DivergenceKind.UNVISITED,
                summary=(
                    f"today's code {ended} before reaching {len(unvisited)} recorded "
                    f"operation{'s' if len(unvisited) != 1 else ''}, the first "
                    f"{first.label()} at {first.where()}"
                ),
                recorded=first,
            )
        return ReplayReport(
            execution_arn=recorded.arn,
            execution_name=recorded.name,
            execution_status=recorded.status.value,
            recorded=len(record.operations),
            expected=len(record.expected),
            matched=len(self.matched),
            unvisited=unvisited,
            divergence=divergence,
            ended=ended,
            shallow=record.shallow,
            source=recorded.source,
        )

    def _from_ending(self, ended: str, error: BaseException | None) -> Divergence | None:
        recorded = self.record.recorded
        if isinstance(error, NonDeterministicExecutionError):
            op = self.record.by_id.get(error.operation_id or "")
            return Divergence(
                kind=DivergenceKind.MISMATCH,
                summary=error.message,
                recorded=self.record.ref(op) if op is not None else None,
                source=_source_line(traceback.extract_tb(error.__traceback__)),
            )
        if error is not None:
            raised = error_object_from_exception(error)
            expected = recorded.error if recorded.status is ExecutionStatus.FAILED else None
            if expected is not None and (expected.ErrorType or None) == (raised.ErrorType or None):
                return None  # the record ended with this error too
            shows = (
                f"the record shows {_describe(expected)}"
                if expected is not None
                else f"the record shows no error (the execution is {recorded.status.value})"
            )
            return Divergence(
                kind=DivergenceKind.ERROR,
                summary=f"today's code raised {_describe(raised)}; {shows}",
                source=_source_line(traceback.extract_tb(error.__traceback__)),
                error_type=raised.ErrorType,
                error_message=raised.ErrorMessage,
            )
        if recorded.status is ExecutionStatus.FAILED:
            return Divergence(
                kind=DivergenceKind.OUTCOME,
                summary=(
                    f"the record ended FAILED with {_describe(recorded.error)}; "
                    f"today's code {ended} without an error"
                ),
            )
        return None


def _describe(error: ErrorObject | None) -> str:
    if error is None:
        return "an error"
    message = " ".join((error.ErrorMessage or "").split())
    return f"{error.ErrorType or 'Error'}: {message}" if message else error.ErrorType or "Error"


class _TrackingState(DurableState):
    """The engine's state, noting every lookup for the watcher (the checks are the engine's)."""

    def __init__(self, execution_arn: str, operations: Sequence[Operation], watcher: _Watcher):
        super().__init__(execution_arn, operations)
        self.watcher = watcher

    def checked(self, identity: OperationIdentity) -> Operation | None:
        self.watcher.looked_up(identity)
        try:
            op = super().checked(identity)
        except NonDeterministicExecutionError as error:
            self.watcher.mismatched(identity, error)
            raise
        if op is not None:
            self.watcher.matched_one(identity.operation_id)
        return op

    def succeeded_payload(
        self,
        operation_id: str,
        type: OperationType,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
    ) -> str | NotSucceeded | None:
        identity = OperationIdentity(operation_id, type, sub_type, name, parent_id)
        self.watcher.looked_up(identity)
        try:
            payload = super().succeeded_payload(operation_id, type, sub_type, name, parent_id)
        except NonDeterministicExecutionError as error:
            self.watcher.mismatched(identity, error)
            raise
        self.watcher.matched_one(operation_id)  # a lookup that did not raise matched
        return payload


class _ReplayRuntime(ExecutionRuntime):
    """The engine's runtime, except that nothing runs for the first time: that branch stops."""

    def __init__(self, watcher: _Watcher, **parts: Any) -> None:
        super().__init__(**parts)
        self._watcher = watcher

    def note_new_work(self) -> None:
        self.replaying = False
        self._watcher.reached_new_work()
        # As a wait would: this branch stops here, the others go on replaying what they recorded.
        raise SuspendExecution


class _Sink:
    """A service that accepts every checkpoint and keeps nothing: a replay writes nowhere."""

    def __init__(self) -> None:
        self._calls = 0

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        self._calls += 1
        return CheckpointResponse(CheckpointToken=f"replay-{self._calls}")

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return ExecutionState()


def _library_roots() -> tuple[str, ...]:
    roots = {str(Path(durable_lambda.__file__).resolve().parent)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(str(Path(path).resolve()))
    roots.add(str(Path(sys.prefix).resolve()))
    return tuple(sorted(roots))


_LIBRARIES = _library_roots()


def _source_line(frames: Sequence[traceback.FrameSummary]) -> SourceLine | None:
    """Return the innermost frame in the handler's own code (not this library, nor stdlib)."""
    for frame in reversed(frames):
        try:
            path = str(Path(frame.filename).resolve())
        except OSError:
            continue
        if frame.filename.startswith("<") or path.startswith(_LIBRARIES):
            continue
        return SourceLine(
            file=_shown(path), line=frame.lineno or 0, code=(frame.line or "").strip(),
            function=frame.name,
        )  # fmt: skip
    return None


def _shown(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
