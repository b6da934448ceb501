"""Pages of state, invocation inputs and outcomes, stopping, and the record's JSON form."""

from __future__ import annotations

import pytest
from service_builders import NOW, A, T, checkpoint, later, update

from durable_lambda.core.errors import InvalidCheckpointTokenError, ValidationError
from durable_lambda.core.model import (
    CallbackOptions,
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
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    apply_checkpoint,
    checkpoint_token_for,
    describe_execution,
    execution_arn,
    has_pending_work,
    invocation_input,
    needs_invocation,
    record_invocation,
    send_callback_success,
    start_execution,
    state_page,
    stop_execution,
)
from durable_lambda.service.history import EventType, without_execution_data
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

ARN = execution_arn("fn", "run", "e1")
PENDING = InvocationOutput(Status=InvocationStatus.PENDING)


def started() -> ExecutionRecord:
    return start_execution(ARN, "fn", '"in"', NOW)


def with_steps(count: int) -> ExecutionRecord:
    record = started()
    checkpoint(record, *(update(f"s{i}", T.STEP, A.START) for i in range(count)))
    return record


def test_state_pages_cover_every_operation_once_in_order() -> None:
    record = with_steps(7)
    ids: list[str] = []
    marker: str | None = None

    for _ in range(10):
        page = state_page(record, marker, 3)
        assert len(page.Operations) <= 3
        ids += [op.Id for op in page.Operations]
        marker = page.NextMarker
        if marker is None:
            break

    assert ids == list(record.operations)


def test_page_sizes_default_and_are_capped() -> None:
    record = with_steps(MAX_PAGE_SIZE + 5)

    assert len(state_page(record, None, None).Operations) == DEFAULT_PAGE_SIZE
    assert len(state_page(record, None, 0).Operations) == DEFAULT_PAGE_SIZE
    full = state_page(record, None, 5000)
    assert len(full.Operations) == MAX_PAGE_SIZE
    assert full.NextMarker is not None
    assert len(state_page(record, full.NextMarker, 5000).Operations) == 6


@pytest.mark.parametrize("marker", ["x", "-1", "99999"])
def test_a_foreign_marker_is_refused(marker: str) -> None:
    with pytest.raises(ValidationError):
        state_page(with_steps(2), marker, 10)


def test_state_accepts_any_token_of_the_execution_and_no_other() -> None:
    record = with_steps(2)
    old = checkpoint_token_for(ARN, 1)

    assert len(state_page(record, None, 10, old).Operations) == 3
    with pytest.raises(InvalidCheckpointTokenError):
        state_page(record, None, 10, checkpoint_token_for("arn:other", 1))
    with pytest.raises(InvalidCheckpointTokenError):
        state_page(record, None, 10, checkpoint_token_for(ARN, 99))
    with pytest.raises(InvalidCheckpointTokenError):
        state_page(record, None, 10, "@@not-a-token@@")


def test_children_of_a_completed_context_are_left_out_unless_it_replays_them() -> None:
    record = started()
    checkpoint(
        record,
        update("done", T.CONTEXT, A.START),
        update("d1", T.STEP, A.START, ParentId="done"),
        update("inner", T.CONTEXT, A.START, ParentId="done"),
        update("d2", T.STEP, A.START, ParentId="inner"),
        update("replay", T.CONTEXT, A.START),
        update("r1", T.STEP, A.START, ParentId="replay"),
        update("open", T.CONTEXT, A.START),
        update("o1", T.STEP, A.START, ParentId="open"),
    )
    checkpoint(
        record,
        update("done", T.CONTEXT, A.SUCCEED, Payload="1"),
        update("replay", T.CONTEXT, A.SUCCEED, ContextOptions=ContextOptions(ReplayChildren=True)),
    )

    ids = [op.Id for op in state_page(record, None, 100).Operations]

    assert ids == ["e1", "done", "replay", "r1", "open", "o1"]


def test_invocation_input_gives_the_first_page_and_a_marker_to_page_on() -> None:
    record = with_steps(4)

    event = invocation_input(record, page_size=2)

    assert event.DurableExecutionArn == ARN
    assert event.CheckpointToken == record.checkpoint_token
    assert [op.Id for op in event.InitialExecutionState.Operations] == ["e1", "s0"]
    marker = event.InitialExecutionState.NextMarker
    assert marker
    rest = state_page(record, marker, None, event.CheckpointToken)
    assert [op.Id for op in rest.Operations] == ["s1", "s2", "s3"]
    assert invocation_input(record).InitialExecutionState.NextMarker == ""
    assert not needs_invocation(record)


def test_a_succeeded_invocation_ends_the_execution_after_its_invocation_event() -> None:
    record = started()

    record_invocation(
        record,
        NOW,
        later(2),
        InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result='"out"'),
        request_id="req",
    )

    assert (record.status, record.result, record.end_timestamp) == (
        ExecutionStatus.SUCCEEDED,
        '"out"',
        later(2),
    )
    completed, succeeded = record.history[-2:]
    assert completed.EventType is EventType.INVOCATION_COMPLETED
    assert completed.InvocationCompletedDetails is not None
    assert completed.InvocationCompletedDetails.RequestId == "req"
    assert completed.InvocationCompletedDetails.StartTimestamp == NOW
    assert succeeded.ExecutionSucceededDetails is not None
    assert succeeded.ExecutionSucceededDetails.Result is not None
    assert succeeded.ExecutionSucceededDetails.Result.Payload == '"out"'
    assert record.operations["e1"].Status is OperationStatus.SUCCEEDED
    assert record.invocation_count == 1


def test_a_failed_invocation_fails_the_execution() -> None:
    record = started()
    error = ErrorObject(ErrorType="Oops", ErrorMessage="bad")

    record_invocation(
        record,
        NOW,
        later(1),
        InvocationOutput(Status=InvocationStatus.FAILED, Error=error),
        request_id="r",
    )

    assert (record.status, record.error) == (ExecutionStatus.FAILED, error)
    assert record.history[-1].EventType is EventType.EXECUTION_FAILED


INVALID_OUTPUTS = {
    "pending with nothing pending": PENDING,
    "succeeded with an error": InvocationOutput(
        Status=InvocationStatus.SUCCEEDED, Error=ErrorObject()
    ),
    "failed with a result": InvocationOutput(Status=InvocationStatus.FAILED, Result="1"),
}


@pytest.mark.parametrize("output", list(INVALID_OUTPUTS.values()), ids=list(INVALID_OUTPUTS))
def test_an_invalid_output_fails_the_execution(output: InvocationOutput) -> None:
    record = started()
    invocation_input(record)

    record_invocation(record, NOW, later(1), output, request_id="r")

    assert record.status is ExecutionStatus.FAILED
    assert record.error is not None
    assert record.error.ErrorType == "InvalidParameterValueException"


def test_pending_with_something_pending_keeps_the_execution_running() -> None:
    record = started()
    invocation_input(record)
    checkpoint(record, update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=5)))

    record_invocation(record, NOW, later(1), PENDING)

    assert record.status is ExecutionStatus.RUNNING
    completed = record.history[-1].InvocationCompletedDetails
    assert completed is not None
    assert completed.RequestId == "local-1"
    assert has_pending_work(record)
    assert not needs_invocation(record)


@pytest.mark.parametrize(
    "updates",
    [
        [
            update("s", T.STEP, A.START),
            update(
                "s",
                T.STEP,
                A.RETRY,
                Error=ErrorObject(),
                StepOptions=StepOptions(NextAttemptDelaySeconds=3),
            ),
        ],
        [update("c", T.CALLBACK, A.START, CallbackOptions=CallbackOptions())],
    ],
    ids=["retry", "callback"],
)
def test_pending_work_counts_retries_and_callbacks(updates: list[OperationUpdate]) -> None:
    record = started()
    invocation_input(record)
    checkpoint(record, *updates)

    assert has_pending_work(record)


def test_a_crashed_invocation_is_recorded_and_the_execution_keeps_running() -> None:
    record = started()
    crash = ErrorObject(ErrorType="Runtime.ExitError", ErrorMessage="exit 1")

    record_invocation(record, NOW, later(1), None, request_id="r", error=crash)

    assert record.status is ExecutionStatus.RUNNING
    details = record.history[-1].InvocationCompletedDetails
    assert details is not None
    assert details.Error is not None
    assert details.Error.Payload == crash


def test_the_output_is_ignored_once_an_execution_update_ended_the_execution() -> None:
    record = started()
    checkpoint(record, update("x", T.EXECUTION, A.SUCCEED, Payload='"big"'))

    record_invocation(
        record,
        NOW,
        later(1),
        InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result=""),
        request_id="r",
    )

    assert record.result == '"big"'
    assert [e.EventType for e in record.history][-2:] == [
        EventType.EXECUTION_SUCCEEDED,
        EventType.INVOCATION_COMPLETED,
    ]


def test_stop_execution() -> None:
    record = started()

    assert stop_execution(record, later(3)) is True
    assert stop_execution(record, later(4), ErrorObject(ErrorMessage="again")) is False

    assert record.status is ExecutionStatus.STOPPED
    assert record.error == ErrorObject(ErrorMessage="Execution stopped by user request")
    assert record.end_timestamp == later(3)
    assert record.operations["e1"].Status is OperationStatus.STOPPED
    assert [e.EventType for e in record.history] == [
        EventType.EXECUTION_STARTED,
        EventType.EXECUTION_STOPPED,
    ]
    assert not has_pending_work(record)
    assert not needs_invocation(record)


def test_describe_execution() -> None:
    record = started()
    stop_execution(record, later(1), ErrorObject(ErrorMessage="bye"))

    description = describe_execution(record)

    assert description.DurableExecutionArn == ARN
    assert description.DurableExecutionName == "run"
    assert description.FunctionArn == "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST"
    assert description.Version == "$LATEST"
    assert (description.InputPayload, description.Status) == ('"in"', ExecutionStatus.STOPPED)
    assert description.Error == ErrorObject(ErrorMessage="bye")
    assert description.EndTimestamp == later(1)


def busy_record() -> ExecutionRecord:
    record = start_execution(
        ARN, "fn", '"in"', NOW.replace(microsecond=123456), execution_timeout_seconds=999
    )
    invocation_input(record)
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [
            update("s", T.STEP, A.START),
            update(
                "s",
                T.STEP,
                A.RETRY,
                Error=ErrorObject(StackTrace=("a", "b")),
                StepOptions=StepOptions(NextAttemptDelaySeconds=2),
            ),
            update("c", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=9)),
            update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=4)),
        ],
        later(0.5),
        client_token="ct",
    )
    send_callback_success(record, next(iter(record.callbacks)), '"ok"', later(1.0009))
    return record


def test_the_record_round_trips_through_json_exactly() -> None:
    record = busy_record()

    again = ExecutionRecord.from_json(record.to_json())

    assert again == record
    assert list(again.operations) == list(record.operations)
    assert list(again.undelivered) == ["c"]
    assert again.history == record.history


def test_a_snapshot_is_independent() -> None:
    record = busy_record()
    copy = record.snapshot()

    copy.operations.clear()
    copy.history.append(copy.history[0])
    copy.timers.clear()

    assert record == busy_record()


def test_history_without_execution_data_hides_payloads() -> None:
    record = busy_record()

    hidden = [without_execution_data(event).to_wire() for event in record.history]

    assert hidden[0]["ExecutionStartedDetails"]["Input"] == {"Truncated": True}
    assert hidden[0]["ExecutionStartedDetails"]["ExecutionTimeout"] == 999
    failed = next(e for e in hidden if e["EventType"] == "StepFailed")
    assert failed["StepFailedDetails"] == {
        "Error": {"Truncated": True},
        "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 2},
    }
    assert '"ok"' not in str(hidden)
