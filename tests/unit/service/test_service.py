"""The local service's checkpoint logic: every action of every type, tokens, deltas, history."""

from __future__ import annotations

import re

import pytest
from service_builders import NOW, A, T, checkpoint, later, update

from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ContextOptions,
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationStatus,
    OperationType,
    StepOptions,
    WaitOptions,
)
from durable_lambda.service import (
    advance,
    apply_checkpoint,
    execution_arn,
    invocation_input,
    record_invocation,
    send_callback_success,
    start_execution,
)
from durable_lambda.service.history import EventType
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

ARN = execution_arn("orders", "run-1", "exec-1")
BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def started() -> ExecutionRecord:
    return start_execution(ARN, "orders", '{"n": 1}', NOW)


def event_types(record: ExecutionRecord) -> list[str]:
    return [event.EventType.value for event in record.history]


def test_start_execution_creates_the_execution_operation_event_and_first_token() -> None:
    record = started()

    [execution] = record.operations.values()
    assert execution.Type is OperationType.EXECUTION
    assert execution.Status is OperationStatus.STARTED
    assert execution.ExecutionDetails is not None
    assert execution.ExecutionDetails.InputPayload == '{"n": 1}'
    assert execution.Id == "exec-1"
    assert record.status is ExecutionStatus.RUNNING
    assert record.name == "run-1"
    assert event_types(record) == ["ExecutionStarted"]
    started_event = record.history[0].ExecutionStartedDetails
    assert started_event is not None
    assert started_event.Input is not None
    assert started_event.Input.Payload == '{"n": 1}'
    assert BASE64.fullmatch(record.checkpoint_token)


def test_each_checkpoint_rotates_the_token_and_a_stale_token_is_refused() -> None:
    record = started()
    first = record.checkpoint_token

    response = checkpoint(record, update("s", T.STEP, A.START))

    assert response.CheckpointToken is not None
    assert response.CheckpointToken != first
    assert BASE64.fullmatch(response.CheckpointToken)
    assert record.checkpoint_token == response.CheckpointToken
    with pytest.raises(InvalidCheckpointTokenError) as caught:
        apply_checkpoint(record, first, [update("w", T.WAIT, A.START)], NOW)
    assert caught.value.retriable is True
    assert caught.value.execution_arn == ARN
    assert "w" not in record.operations


def test_a_new_invocation_makes_the_previous_invocations_token_stale() -> None:
    record = started()
    old = invocation_input(record).CheckpointToken
    new = invocation_input(record).CheckpointToken

    assert new != old
    with pytest.raises(InvalidCheckpointTokenError):
        apply_checkpoint(record, old, [], NOW)
    assert apply_checkpoint(record, new, [], NOW).CheckpointToken is not None


def test_step_start_and_succeed_in_one_batch() -> None:
    record = started()
    invocation_input(record)

    response = checkpoint(
        record,
        update("s", T.STEP, A.START, SubType="Step", Name="charge"),
        update("s", T.STEP, A.SUCCEED, Payload='"ok"'),
        at=later(1),
    )

    step = record.operations["s"]
    assert step.Status is OperationStatus.SUCCEEDED
    assert step.StepDetails is not None
    assert (step.StepDetails.Attempt, step.StepDetails.Result) == (1, '"ok"')
    assert step.StartTimestamp == later(1)
    assert step.EndTimestamp == later(1)
    assert [op.Id for op in response.NewExecutionState.Operations] == ["s"]
    assert response.NewExecutionState.Operations[0] == step


def test_step_start_records_attempt_zero() -> None:
    record = started()

    checkpoint(record, update("s", T.STEP, A.START))

    step = record.operations["s"]
    assert step.Status is OperationStatus.STARTED
    assert step.StepDetails is not None
    assert step.StepDetails.Attempt == 0


def test_step_fail_stores_the_error() -> None:
    record = started()
    error = ErrorObject(ErrorType="ValueError", ErrorMessage="bad")

    checkpoint(record, update("s", T.STEP, A.START), update("s", T.STEP, A.FAIL, Error=error))

    step = record.operations["s"]
    assert step.Status is OperationStatus.FAILED
    assert step.StepDetails is not None
    assert (step.StepDetails.Attempt, step.StepDetails.Error) == (1, error)
    failed = record.history[-1].StepFailedDetails
    assert failed is not None
    assert failed.RetryDetails is not None
    assert failed.RetryDetails.CurrentAttempt == 1
    assert failed.RetryDetails.NextAttemptDelaySeconds is None


def test_step_retry_goes_pending_then_ready_then_counts_the_next_attempt() -> None:
    record = started()
    error = ErrorObject(ErrorType="Boom", ErrorMessage="try again")
    checkpoint(record, update("s", T.STEP, A.START))

    checkpoint(
        record,
        update(
            "s", T.STEP, A.RETRY, Error=error, StepOptions=StepOptions(NextAttemptDelaySeconds=7)
        ),
        at=later(1),
    )

    pending = record.operations["s"]
    assert pending.Status is OperationStatus.PENDING
    assert pending.StepDetails is not None
    assert pending.StepDetails.Attempt == 1
    assert pending.StepDetails.NextAttemptTimestamp == later(8)
    assert pending.StepDetails.Error == error
    assert advance(record, later(7.999)) is False
    assert advance(record, later(8)) is True
    ready = record.operations["s"]
    assert ready.Status is OperationStatus.READY
    assert ready.StepDetails is not None
    assert ready.StepDetails.NextAttemptTimestamp is None

    checkpoint(record, update("s", T.STEP, A.START), at=later(9))
    assert record.operations["s"].Status is OperationStatus.STARTED
    checkpoint(record, update("s", T.STEP, A.SUCCEED, Payload="2"), at=later(9))

    done = record.operations["s"]
    assert done.StepDetails is not None
    assert done.StepDetails.Attempt == 2
    assert done.StartTimestamp == NOW
    assert event_types(record)[1:] == ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]
    retried = record.history[2].StepFailedDetails
    assert retried is not None
    assert retried.RetryDetails is not None
    assert retried.RetryDetails.CurrentAttempt == 1
    assert retried.RetryDetails.NextAttemptDelaySeconds == 7
    succeeded = record.history[4].StepSucceededDetails
    assert succeeded is not None
    assert succeeded.RetryDetails is not None
    assert succeeded.RetryDetails.CurrentAttempt == 2


def test_a_ready_step_may_close_without_a_new_start() -> None:
    record = started()
    checkpoint(record, update("s", T.STEP, A.START))
    checkpoint(
        record,
        update(
            "s",
            T.STEP,
            A.RETRY,
            Error=ErrorObject(),
            StepOptions=StepOptions(NextAttemptDelaySeconds=1),
        ),
    )
    advance(record, later(1))

    checkpoint(
        record, update("s", T.STEP, A.FAIL, Error=ErrorObject(ErrorMessage="gave up")), at=later(2)
    )

    assert record.operations["s"].Status is OperationStatus.FAILED


def test_wait_for_condition_retry_keeps_the_polled_state_as_the_result() -> None:
    record = started()
    checkpoint(record, update("c", T.STEP, A.START, SubType="WaitForCondition"))

    checkpoint(
        record,
        update(
            "c",
            T.STEP,
            A.RETRY,
            Payload='{"count": 1}',
            StepOptions=StepOptions(NextAttemptDelaySeconds=5),
        ),
    )

    polled = record.operations["c"]
    assert polled.Status is OperationStatus.PENDING
    assert polled.StepDetails is not None
    assert polled.StepDetails.Result == '{"count": 1}'
    assert polled.StepDetails.Error is None
    last = record.history[-1]
    assert last.EventType is EventType.STEP_SUCCEEDED
    assert last.StepSucceededDetails is not None
    assert last.StepSucceededDetails.Result is not None
    assert last.StepSucceededDetails.Result.Payload == '{"count": 1}'
    advance(record, later(5))
    checkpoint(record, update("c", T.STEP, A.START), at=later(5))
    restarted = record.operations["c"]
    assert restarted.StepDetails is not None
    assert restarted.StepDetails.Result == '{"count": 1}'


def test_wait_start_schedules_its_end_and_advance_completes_it() -> None:
    record = started()

    checkpoint(
        record, update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=30)), at=later(2)
    )

    wait = record.operations["w"]
    assert wait.Status is OperationStatus.STARTED
    assert wait.WaitDetails is not None
    assert wait.WaitDetails.ScheduledEndTimestamp == later(32)
    assert advance(record, later(31)) is False
    assert advance(record, later(32)) is True
    assert record.operations["w"].Status is OperationStatus.SUCCEEDED
    assert record.operations["w"].EndTimestamp == later(32)
    started_event, succeeded_event = record.history[-2:]
    assert started_event.WaitStartedDetails is not None
    assert started_event.WaitStartedDetails.Duration == 30
    assert started_event.WaitStartedDetails.ScheduledEndTimestamp == later(32)
    assert succeeded_event.WaitSucceededDetails is not None
    assert succeeded_event.WaitSucceededDetails.Duration == 30


def test_wait_cancel_cancels_it_and_disarms_its_timer() -> None:
    record = started()
    checkpoint(record, update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=30)))

    checkpoint(record, update("w", T.WAIT, A.CANCEL), at=later(3))

    assert record.operations["w"].Status is OperationStatus.CANCELLED
    assert record.operations["w"].EndTimestamp == later(3)
    assert record.timers == {}
    assert advance(record, later(60)) is False
    assert event_types(record)[-1] == "WaitCancelled"


def test_callback_start_hands_out_a_unique_opaque_callback_id() -> None:
    record = started()

    response = checkpoint(
        record,
        update(
            "c1",
            T.CALLBACK,
            A.START,
            CallbackOptions=CallbackOptions(TimeoutSeconds=60, HeartbeatTimeoutSeconds=10),
        ),
        update("c2", T.CALLBACK, A.START),
    )

    ids = [
        op.CallbackDetails.CallbackId
        for op in response.NewExecutionState.Operations
        if op.CallbackDetails
    ]
    assert len(ids) == 2
    assert ids[0] != ids[1]
    assert all(cid is not None and BASE64.fullmatch(cid) for cid in ids)
    assert {reg.OperationId for reg in record.callbacks.values()} == {"c1", "c2"}
    registration = record.callbacks[ids[0] or ""]
    assert (registration.TimeoutSeconds, registration.HeartbeatTimeoutSeconds) == (60, 10)
    started_event = record.history[1].CallbackStartedDetails
    assert started_event is not None
    assert (started_event.CallbackId, started_event.Timeout, started_event.HeartbeatTimeout) == (
        ids[0],
        60,
        10,
    )


def test_context_start_succeed_keeps_replay_children() -> None:
    record = started()
    checkpoint(record, update("ctx", T.CONTEXT, A.START, SubType="Map", Name="items"))

    checkpoint(
        record,
        update(
            "ctx",
            T.CONTEXT,
            A.SUCCEED,
            Payload="summary",
            ContextOptions=ContextOptions(ReplayChildren=True),
        ),
    )

    context = record.operations["ctx"]
    assert context.Status is OperationStatus.SUCCEEDED
    assert context.ContextDetails is not None
    assert (context.ContextDetails.Result, context.ContextDetails.ReplayChildren) == (
        "summary",
        True,
    )
    assert event_types(record)[1:] == ["ContextStarted", "ContextSucceeded"]


def test_context_fail_stores_the_error() -> None:
    record = started()
    error = ErrorObject(ErrorType="ChildError", ErrorMessage="child failed")

    checkpoint(
        record, update("ctx", T.CONTEXT, A.START), update("ctx", T.CONTEXT, A.FAIL, Error=error)
    )

    context = record.operations["ctx"]
    assert context.Status is OperationStatus.FAILED
    assert context.ContextDetails is not None
    assert context.ContextDetails.Error == error
    failed = record.history[-1].ContextFailedDetails
    assert failed is not None
    assert failed.Error is not None
    assert failed.Error.Payload == error


def test_chained_invoke_start_keeps_what_the_target_needs() -> None:
    record = started()

    checkpoint(
        record,
        update(
            "i",
            T.CHAINED_INVOKE,
            A.START,
            Payload='{"x": 1}',
            ChainedInvokeOptions=ChainedInvokeOptions(FunctionName="target:3", TenantId="t-1"),
        ),
    )

    assert record.operations["i"].Status is OperationStatus.STARTED
    request = record.chained_invokes["i"]
    assert (request.FunctionName, request.TenantId, request.Payload) == (
        "target:3",
        "t-1",
        '{"x": 1}',
    )
    details = record.history[-1].ChainedInvokeStartedDetails
    assert details is not None
    assert details.Input is not None
    assert (details.FunctionName, details.TenantId, details.ExecutedVersion) == (
        "target:3",
        "t-1",
        "3",
    )
    assert details.Input.Payload == '{"x": 1}'


def test_execution_succeed_ends_the_execution_and_withholds_the_token() -> None:
    record = started()

    response = checkpoint(
        record, update("result", T.EXECUTION, A.SUCCEED, Payload='"big"'), at=later(4)
    )

    assert response.CheckpointToken is None
    assert record.status is ExecutionStatus.SUCCEEDED
    assert record.result == '"big"'
    assert record.end_timestamp == later(4)
    execution = record.operations["exec-1"]
    assert execution.Status is OperationStatus.SUCCEEDED
    assert "result" not in record.operations
    assert event_types(record) == ["ExecutionStarted", "ExecutionSucceeded"]
    with pytest.raises(CheckpointError) as caught:
        apply_checkpoint(record, record.checkpoint_token, [], later(5))
    assert caught.value.retriable is False


def test_execution_fail_ends_the_execution_failed() -> None:
    record = started()
    error = ErrorObject(ErrorType="Fatal", ErrorMessage="no")

    checkpoint(record, update("result", T.EXECUTION, A.FAIL, Error=error))

    assert (record.status, record.error, record.result) == (ExecutionStatus.FAILED, error, None)
    failed = record.history[-1].ExecutionFailedDetails
    assert failed is not None
    assert failed.Error is not None
    assert failed.Error.Payload == error


def test_the_response_carries_what_the_service_changed_since_the_handler_last_looked() -> None:
    record = started()
    invocation_input(record)
    first = checkpoint(record, update("c", T.CALLBACK, A.START))
    callback_id = first.NewExecutionState.Operations[0].CallbackDetails
    assert callback_id is not None
    assert callback_id.CallbackId is not None

    send_callback_success(record, callback_id.CallbackId, '"yes"', later(1))
    second = checkpoint(record, update("s", T.STEP, A.START), at=later(2))
    third = checkpoint(record, at=later(3))

    assert [op.Id for op in second.NewExecutionState.Operations] == ["c", "s"]
    assert second.NewExecutionState.Operations[0].Status is OperationStatus.SUCCEEDED
    assert third.NewExecutionState.Operations == ()


def test_due_timers_fire_during_a_checkpoint_and_show_in_its_response() -> None:
    record = started()
    checkpoint(record, update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=1)))

    response = checkpoint(record, at=later(1))

    assert [(op.Id, op.Status) for op in response.NewExecutionState.Operations] == [
        ("w", OperationStatus.SUCCEEDED)
    ]


def test_a_repeated_client_token_gets_the_same_answer_without_applying_twice() -> None:
    record = started()
    token = record.checkpoint_token
    updates = [update("s", T.STEP, A.START)]

    first = apply_checkpoint(record, token, updates, NOW, client_token="c-1")
    again = apply_checkpoint(record, token, updates, later(1), client_token="c-1")

    assert again == first
    assert event_types(record) == ["ExecutionStarted", "StepStarted"]
    with pytest.raises(InvalidCheckpointTokenError):
        apply_checkpoint(record, token, updates, later(1), client_token="c-2")


def test_a_refused_batch_changes_nothing() -> None:
    record = started()
    before = record.snapshot()

    with pytest.raises(CheckpointError):
        checkpoint(record, update("s", T.STEP, A.START), update("x", T.STEP, A.SUCCEED))

    assert record == before


def test_history_of_a_scripted_run() -> None:
    record = started()
    invocation_input(record)
    checkpoint(
        record,
        update("s", T.STEP, A.START, SubType="Step"),
        update("s", T.STEP, A.SUCCEED, Payload="1"),
        update("ctx", T.CONTEXT, A.START, SubType="RunInChildContext"),
        update("w", T.WAIT, A.START, ParentId="ctx", WaitOptions=WaitOptions(WaitSeconds=10)),
    )
    record_invocation(
        record, NOW, later(1), InvocationOutput(Status=InvocationStatus.PENDING), request_id="r1"
    )
    advance(record, later(10))
    invocation_input(record)
    checkpoint(
        record,
        update("ctx", T.CONTEXT, A.SUCCEED, Payload="2"),
        update("cb", T.CALLBACK, A.START),
        at=later(11),
    )
    callback_id = next(iter(record.callbacks))
    record_invocation(
        record,
        later(10),
        later(11),
        InvocationOutput(Status=InvocationStatus.PENDING),
        request_id="r2",
    )
    send_callback_success(record, callback_id, '"ok"', later(20))
    invocation_input(record)
    record_invocation(
        record,
        later(20),
        later(21),
        InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result='"done"'),
        request_id="r3",
    )

    assert event_types(record) == [
        "ExecutionStarted",
        "StepStarted",
        "StepSucceeded",
        "ContextStarted",
        "WaitStarted",
        "InvocationCompleted",
        "WaitSucceeded",
        "ContextSucceeded",
        "CallbackStarted",
        "InvocationCompleted",
        "CallbackSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert [event.EventId for event in record.history] == list(range(1, 14))
    assert record.history[4].ParentId == "ctx"
    assert record.status is ExecutionStatus.SUCCEEDED
    assert record.result == '"done"'
    assert record.invocation_count == 3
