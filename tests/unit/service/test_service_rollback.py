"""A checkpoint is applied in place, and a refused one is undone without a copy of the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service import (
    advance,
    apply_checkpoint,
    execution_arn,
    invocation_input,
    send_callback_success,
    start_execution,
)
from durable_lambda.service import checkpoint as service_module
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus
from durable_lambda.service.recording import put_operation
from durable_lambda.service.rollback import Rollback

NOW = datetime(2026, 1, 1, tzinfo=UTC)
A = OperationAction
T = OperationType


def update(
    op_id: str, type_: OperationType, action: OperationAction, **fields: object
) -> OperationUpdate:
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


def busy_record() -> ExecutionRecord:
    """A record with history, timers, callbacks, an invoke and an undelivered change."""
    record = start_execution(
        execution_arn("fn", "run", "1"), "fn", "{}", NOW, execution_timeout_seconds=3600
    )
    invocation_input(record)
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [
            update("done", T.STEP, A.START, Name="done"),
            update("done", T.STEP, A.SUCCEED, Payload="1"),
            update("nap", T.WAIT, A.START, WaitOptions={"WaitSeconds": 5}),
            update("ask", T.CALLBACK, A.START, CallbackOptions={"TimeoutSeconds": 60}),
            update("flaky", T.STEP, A.START),
            update(
                "flaky",
                T.STEP,
                A.RETRY,
                Error={"ErrorMessage": "no"},
                StepOptions={"NextAttemptDelaySeconds": 2},
            ),
            update("ctx", T.CONTEXT, A.START, SubType="RunInChildContext"),
        ],
        NOW,
    )
    # Something the handler has not seen yet: the retry came due.
    advance(record, NOW + timedelta(seconds=3))
    return record


def refused_batch() -> list[OperationUpdate]:
    """Updates of every kind that apply, then one the service refuses."""
    return [
        update("s", T.STEP, A.START, Name="s"),
        update("s", T.STEP, A.SUCCEED, Payload="2"),
        update("flaky", T.STEP, A.START),
        update("nap", T.WAIT, A.CANCEL),
        update("cb", T.CALLBACK, A.START, CallbackOptions={"HeartbeatTimeoutSeconds": 9}),
        update("ctx", T.CONTEXT, A.SUCCEED, Payload="3"),
        update("in", T.STEP, A.START, ParentId="ctx"),
        update("call", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions={"FunctionName": "t"}),
        update("done", T.STEP, A.START),  # refused: the step succeeded already
    ]


def test_a_refused_checkpoint_undoes_every_update_before_the_refused_one() -> None:
    record = busy_record()
    before = record.snapshot()
    assert record.undelivered  # the rollback must keep what was not delivered yet

    with pytest.raises(CheckpointError, match=r"update #8"):
        apply_checkpoint(record, record.checkpoint_token, refused_batch(), NOW)

    assert record == before
    assert list(record.operations) == list(before.operations)  # the order too
    assert list(record.undelivered) == list(before.undelivered)


def test_the_same_batch_without_the_refused_update_is_applied() -> None:
    record = busy_record()
    response = apply_checkpoint(record, record.checkpoint_token, refused_batch()[:-1], NOW)

    assert response.CheckpointToken == record.checkpoint_token
    assert record.operations["s"].Status is OperationStatus.SUCCEEDED
    assert record.operations["nap"].Status is OperationStatus.CANCELLED
    assert record.operations["ctx"].Status is OperationStatus.SUCCEEDED
    assert "call" in record.chained_invokes
    assert not record.undelivered


def test_a_checkpoint_changes_the_record_in_place_without_copying_it() -> None:
    record = busy_record()
    operations, history = record.operations, record.history
    events = len(history)

    apply_checkpoint(record, record.checkpoint_token, [update("s", T.STEP, A.START)], NOW)

    assert record.operations is operations
    assert record.history is history
    assert len(history) == events + 1


def test_updates_before_a_refused_execution_end_are_undone() -> None:
    record = busy_record()
    before = record.snapshot()

    with pytest.raises(CheckpointError, match=r"update #2"):
        apply_checkpoint(
            record,
            record.checkpoint_token,
            [
                update("s", T.STEP, A.START),
                update("s", T.STEP, A.SUCCEED, Payload="1"),
                update("e", T.EXECUTION, A.SUCCEED, Error={"ErrorMessage": "both"}),
            ],
            NOW,
        )

    assert record == before


def test_restore_reports_a_write_it_did_not_save() -> None:
    record = busy_record()
    rollback = Rollback(record, ["s"])
    stray = Operation(Id="stray", Type=T.STEP, Status=OperationStatus.STARTED, StartTimestamp=NOW)
    put_operation(record, stray)

    with pytest.raises(RuntimeError, match="stray"):
        rollback.restore(record)


def test_an_operation_answered_meanwhile_is_restored_to_its_answered_version() -> None:
    record = busy_record()
    callback = record.operations["ask"].CallbackDetails
    assert callback is not None
    assert callback.CallbackId is not None
    send_callback_success(record, callback.CallbackId, '"yes"', NOW + timedelta(seconds=4))
    before = record.snapshot()

    with pytest.raises(CheckpointError):
        apply_checkpoint(
            record,
            record.checkpoint_token,
            [update("ask", T.CALLBACK, A.START)],  # refused: it exists
            NOW + timedelta(seconds=4),
        )

    assert record == before
    assert record.operations["ask"].Status is OperationStatus.SUCCEEDED


def test_any_error_while_applying_undoes_the_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    record = busy_record()
    before = record.snapshot()

    def broken(**fields: object) -> None:
        raise RuntimeError("the response could not be built")

    # By then the execution's own time-out has fired and a new token was issued.
    monkeypatch.setattr(service_module, "CheckpointResponse", broken)
    with pytest.raises(RuntimeError, match="could not be built"):
        apply_checkpoint(
            record,
            record.checkpoint_token,
            [update("s", T.STEP, A.START)],
            NOW + timedelta(hours=2),
        )

    assert record == before
    assert record.status is ExecutionStatus.RUNNING
