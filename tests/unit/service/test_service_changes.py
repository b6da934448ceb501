"""What one change of a record changed (``service.changes``): every service call, tracked.

Each test applies real service calls to a record under a ``ChangeTracker``, sends the
``RecordChange`` through its JSON form, applies it to a copy of the record as it stood before,
and expects the record as the call left it: the journal of the file store relies on nothing
else. And a change costs what it changed: it carries the operations and events it wrote, not
the record's others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from service_builders import NOW, A, T, checkpoint, later, update

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ContextOptions,
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationStatus,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from durable_lambda.service import (
    advance,
    apply_checkpoint,
    attach_chained_invoke_execution,
    complete_chained_invoke,
    execution_arn,
    invocation_input,
    record_invocation,
    send_callback_failure,
    send_callback_heartbeat,
    send_callback_success,
    start_execution,
    stop_execution,
)
from durable_lambda.service.changes import ChangeTracker, ContainerChange, RecordChange
from durable_lambda.service.record import ExecutionRecord

ARN = execution_arn("fn", "run", "e1")


def started() -> ExecutionRecord:
    record = start_execution(ARN, "fn", '"in"', NOW, execution_timeout_seconds=600)
    invocation_input(record)
    return record


def tracked(record: ExecutionRecord, change: Callable[[ExecutionRecord], Any]) -> RecordChange:
    """Apply ``change`` under a tracker; check its RecordChange replays it; return the change."""
    before = ExecutionRecord.from_json(record.to_json())
    tracker = ChangeTracker(record)
    change(record)
    changes = RecordChange.from_json(tracker.finish(record).to_json())

    changes.apply(before)

    assert before == record
    for container in ("operations", "undelivered", "timers", "callbacks", "chained_invokes"):
        assert list(getattr(before, container)) == list(getattr(record, container)), container
    assert list(before.history) == list(record.history)
    return changes


def _checkpoint_of(*updates: OperationUpdate) -> Callable[[ExecutionRecord], Any]:
    return lambda record: checkpoint(record, *updates)


def test_a_checkpoint_carries_what_it_wrote_and_nothing_else() -> None:
    record = started()
    for i in range(50):
        step = update(f"s{i}", T.STEP, A.START)
        tracked(record, _checkpoint_of(step))

    changes = tracked(
        record,
        lambda r: checkpoint(
            r,
            update("s3", T.STEP, A.SUCCEED, Payload='"three"'),
            update("new", T.STEP, A.START),
        ),
    )

    assert list(changes.operations) == ["s3", "new"]
    assert changes.history_from == len(record.history) - len(changes.history)
    assert [event.Id for event in changes.history] == ["s3", "new"]
    assert changes.fields is not None
    assert changes.fields.model_fields_set == {"checkpoint_token", "token_sequence"}
    assert not changes.changes_summary()


def test_every_kind_of_service_call_replays_from_its_change() -> None:
    record = started()
    tracked(
        record,
        lambda r: apply_checkpoint(
            r,
            r.checkpoint_token,
            [
                update("s", T.STEP, A.START),
                update(
                    "s",
                    T.STEP,
                    A.RETRY,
                    Error=ErrorObject(ErrorMessage="again"),
                    StepOptions=StepOptions(NextAttemptDelaySeconds=2),
                ),
                update(
                    "c", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=60)
                ),
                update(
                    "h", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=60)
                ),
                update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=5)),
                update("ctx", T.CONTEXT, A.START),
                update(
                    "i",
                    T.CHAINED_INVOKE,
                    A.START,
                    ChainedInvokeOptions=ChainedInvokeOptions(FunctionName="other"),
                ),
            ],
            NOW,
            client_token="ct",
        ),
    )
    first, second = list(record.callbacks)
    tracked(record, lambda r: send_callback_heartbeat(r, first, later(1)))
    tracked(record, lambda r: send_callback_success(r, first, '"yes"', later(2)))
    tracked(record, lambda r: send_callback_failure(r, second, ErrorObject(), later(2)))
    tracked(record, lambda r: advance(r, later(6)))  # the retry and the wait
    tracked(record, lambda r: attach_chained_invoke_execution(r, "i", "arn:child"))
    tracked(
        record,
        lambda r: complete_chained_invoke(r, "i", OperationStatus.SUCCEEDED, later(7), result="1"),
    )
    pending = InvocationOutput(Status=InvocationStatus.PENDING)
    tracked(record, lambda r: record_invocation(r, NOW, later(8), pending, request_id="q"))
    tracked(record, invocation_input)
    tracked(
        record,
        lambda r: checkpoint(
            r,
            update("ctx", T.CONTEXT, A.SUCCEED, ContextOptions=ContextOptions(ReplayChildren=True)),
        ),
    )
    ended = tracked(record, lambda r: stop_execution(r, later(9), ErrorObject(ErrorMessage="no")))

    assert ended.changes_summary()
    assert ended.timers is not None
    assert ended.timers.put == {}
    assert record.status.is_terminal


def test_an_event_changed_in_place_is_carried_from_where_it_changed() -> None:
    record = started()
    invoke = ChainedInvokeOptions(FunctionName="other")
    checkpoint(record, update("i", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=invoke))
    for i in range(20):
        checkpoint(record, update(f"s{i}", T.STEP, A.START))
    started_at = next(index for index, event in enumerate(record.history) if event.Id == "i")

    changes = tracked(record, lambda r: attach_chained_invoke_execution(r, "i", "arn:child"))

    assert changes.history_from == started_at
    assert len(changes.history) == len(record.history) - started_at


def test_a_refused_change_is_abandoned_and_leaves_nothing_noted() -> None:
    record = started()
    tracker = ChangeTracker(record)
    with pytest.raises(CheckpointError):
        checkpoint(record, update("s", T.STEP, A.START), update("s", T.WAIT, A.START))
    ChangeTracker.abandon(record)

    later_tracker = ChangeTracker(record)
    changes = later_tracker.finish(record)

    assert changes.is_empty()
    del tracker


def test_a_change_made_on_a_copy_and_taken_over_is_tracked_whole() -> None:
    record = started()
    checkpoint(record, update("a", T.STEP, A.START))

    def on_a_copy(r: ExecutionRecord) -> None:
        work = r.snapshot()
        checkpoint(work, update("b", T.STEP, A.START))
        r.replace_with(work)

    changes = tracked(record, on_a_copy)

    assert list(changes.operations) == ["b"]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1}, {"a": 1}, None),
        ({"a": 1}, {"a": 1, "b": 2}, ContainerChange[int](put={"b": 2})),
        ({"a": 1, "b": 2}, {"b": 2}, ContainerChange[int](removed=["a"])),
        (
            {"a": 1, "b": 2},
            {"b": 2, "a": 1},
            ContainerChange[int](whole=True, put={"b": 2, "a": 1}),
        ),
        ({"a": 1, "b": 2}, {"a": 3, "b": 2}, ContainerChange[int](put={"a": 3})),
    ],
    ids=["same", "added", "removed", "reordered", "replaced"],
)
def test_a_container_change_says_what_changed_and_keeps_the_order(
    before: dict[str, int], after: dict[str, int], expected: ContainerChange[int] | None
) -> None:
    from durable_lambda.service.changes import _container_change

    change = _container_change(dict(before), after)

    assert change == expected
    if change is not None:
        result = change.apply_to(dict(before))
        assert list(result.items()) == list(after.items())
