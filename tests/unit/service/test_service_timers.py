"""Timers, callbacks and chained invokes: what changes an execution without a checkpoint."""

from __future__ import annotations

import pytest
from service_builders import NOW, A, T, later, update

from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ErrorObject,
    OperationStatus,
    StepOptions,
    WaitOptions,
)
from durable_lambda.service import (
    CALLBACK_HEARTBEAT_ERROR_TYPE,
    CALLBACK_TIMEOUT_ERROR_TYPE,
    advance,
    apply_checkpoint,
    attach_chained_invoke_execution,
    complete_chained_invoke,
    execution_arn,
    execution_arn_from_callback_id,
    next_due,
    pending_chained_invokes,
    pending_timers,
    send_callback_failure,
    send_callback_heartbeat,
    send_callback_success,
    start_execution,
    stop_execution,
)
from durable_lambda.service.callbacks import CallbackClosedError, UnknownCallbackError
from durable_lambda.service.history import EventType
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus, TimerKind

ARN = execution_arn("fn", "run", "e1")


def started(execution_timeout_seconds: int | None = None) -> ExecutionRecord:
    return start_execution(
        ARN, "fn", "{}", NOW, execution_timeout_seconds=execution_timeout_seconds
    )


def with_callback(timeout: int = 0, heartbeat: int = 0) -> tuple[ExecutionRecord, str]:
    record = started()
    options = CallbackOptions(TimeoutSeconds=timeout, HeartbeatTimeoutSeconds=heartbeat)
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [update("cb", T.CALLBACK, A.START, CallbackOptions=options)],
        NOW,
    )
    details = record.operations["cb"].CallbackDetails
    assert details is not None
    assert details.CallbackId is not None
    return record, details.CallbackId


def test_pending_timers_are_sorted_and_deadlines_can_be_left_out() -> None:
    record = started(execution_timeout_seconds=3600)
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [
            update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=100)),
            update("cb", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=30)),
            update("s", T.STEP, A.START),
            update(
                "s",
                T.STEP,
                A.RETRY,
                Error=ErrorObject(),
                StepOptions=StepOptions(NextAttemptDelaySeconds=50),
            ),
        ],
        NOW,
    )

    kinds = [(timer.Kind, timer.At) for timer in pending_timers(record)]

    assert kinds == [
        (TimerKind.CALLBACK_TIMEOUT, later(30)),
        (TimerKind.RETRY, later(50)),
        (TimerKind.WAIT, later(100)),
        (TimerKind.EXECUTION_TIMEOUT, later(3600)),
    ]
    assert next_due(record) == later(30)
    assert next_due(record, include_deadlines=False) == later(50)
    assert TimerKind.CALLBACK_HEARTBEAT.is_deadline
    assert not TimerKind.WAIT.is_deadline


def test_next_due_is_none_without_timers() -> None:
    record, _ = with_callback()

    assert next_due(record) is None
    assert advance(record, later(10**6)) is False


def test_callback_success_completes_it_once() -> None:
    record, callback_id = with_callback(timeout=60, heartbeat=10)

    callback = send_callback_success(record, callback_id, '{"ok": true}', later(5))

    assert callback.Status is OperationStatus.SUCCEEDED
    assert callback.CallbackDetails is not None
    assert callback.CallbackDetails.Result == '{"ok": true}'
    assert callback.EndTimestamp == later(5)
    assert record.operations["cb"] == callback
    assert pending_timers(record) == []
    assert record.history[-1].EventType is EventType.CALLBACK_SUCCEEDED
    assert "cb" in record.undelivered
    with pytest.raises(CallbackClosedError) as caught:
        send_callback_success(record, callback_id, "2", later(6))
    assert caught.value.callback_id == callback_id


def test_callback_failure_stores_the_error() -> None:
    record, callback_id = with_callback()
    error = ErrorObject(ErrorType="Rejected", ErrorMessage="no")

    callback = send_callback_failure(record, callback_id, error, later(1))

    assert callback.Status is OperationStatus.FAILED
    assert callback.CallbackDetails is not None
    assert callback.CallbackDetails.Error == error
    failed = record.history[-1].CallbackFailedDetails
    assert failed is not None
    assert failed.Error is not None
    assert failed.Error.Payload == error


def test_callback_failure_without_an_error_stores_an_empty_one() -> None:
    record, callback_id = with_callback()

    callback = send_callback_failure(record, callback_id, None, later(1))

    assert callback.CallbackDetails is not None
    assert callback.CallbackDetails.Error == ErrorObject()


def test_heartbeat_postpones_the_heartbeat_timeout_only() -> None:
    record, callback_id = with_callback(timeout=60, heartbeat=10)
    events = len(record.history)

    send_callback_heartbeat(record, callback_id, later(8))

    assert len(record.history) == events
    assert advance(record, later(17)) is False
    assert advance(record, later(18)) is True
    assert record.operations["cb"].Status is OperationStatus.TIMED_OUT


def test_callback_times_out() -> None:
    record, callback_id = with_callback(timeout=30)

    assert advance(record, later(30)) is True

    callback = record.operations["cb"]
    assert callback.Status is OperationStatus.TIMED_OUT
    assert callback.CallbackDetails is not None
    assert callback.CallbackDetails.Error is not None
    assert callback.CallbackDetails.Error.ErrorType == CALLBACK_TIMEOUT_ERROR_TYPE
    timed_out = record.history[-1].CallbackTimedOutDetails
    assert timed_out is not None
    assert timed_out.Error is not None
    assert timed_out.Error.Payload is not None
    assert timed_out.Error.Payload.ErrorType == "Callback.Timeout"
    with pytest.raises(CallbackClosedError):
        send_callback_heartbeat(record, callback_id, later(31))


def test_callback_times_out_on_heartbeat() -> None:
    record, _ = with_callback(timeout=60, heartbeat=10)

    assert advance(record, later(10)) is True

    callback = record.operations["cb"]
    assert callback.Status is OperationStatus.TIMED_OUT
    assert callback.CallbackDetails is not None
    assert callback.CallbackDetails.Error is not None
    assert (
        callback.CallbackDetails.Error.ErrorType
        == CALLBACK_HEARTBEAT_ERROR_TYPE
        == "Callback.Heartbeat"
    )
    assert pending_timers(record) == []


def test_an_answer_after_the_deadline_is_refused_even_before_advance() -> None:
    record, callback_id = with_callback(timeout=30)

    with pytest.raises(CallbackClosedError):
        send_callback_success(record, callback_id, "1", later(31))

    assert record.operations["cb"].Status is OperationStatus.TIMED_OUT


def test_unknown_callback_ids_are_refused() -> None:
    record, callback_id = with_callback()

    with pytest.raises(UnknownCallbackError) as caught:
        send_callback_success(record, callback_id + "AA", "1", later(1))
    assert not isinstance(caught.value, CallbackClosedError)
    with pytest.raises(UnknownCallbackError):
        execution_arn_from_callback_id("not base64!")
    assert execution_arn_from_callback_id(callback_id) == ARN


def test_callbacks_cannot_be_answered_once_the_execution_ended() -> None:
    record, callback_id = with_callback()
    stop_execution(record, later(1))

    with pytest.raises(CallbackClosedError):
        send_callback_success(record, callback_id, "1", later(2))


def test_execution_timeout_ends_the_execution() -> None:
    record = started(execution_timeout_seconds=60)
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=600))],
        NOW,
    )

    assert advance(record, later(60)) is True

    assert record.status is ExecutionStatus.TIMED_OUT
    assert record.error is not None
    assert record.error.ErrorMessage == "Execution timed out after 60 seconds."
    assert record.history[-1].EventType is EventType.EXECUTION_TIMED_OUT
    assert pending_timers(record) == []
    assert advance(record, later(600)) is False
    assert record.operations["w"].Status is OperationStatus.STARTED


def invoking() -> ExecutionRecord:
    record = started()
    options = ChainedInvokeOptions(FunctionName="target", TenantId="t")
    apply_checkpoint(
        record,
        record.checkpoint_token,
        [
            update("i1", T.CHAINED_INVOKE, A.START, Payload='"a"', ChainedInvokeOptions=options),
            update("i2", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=options),
        ],
        NOW,
    )
    return record


def test_pending_chained_invokes_list_running_targets_in_order() -> None:
    record = invoking()

    assert [
        (r.OperationId, r.FunctionName, r.Payload) for r in pending_chained_invokes(record)
    ] == [
        ("i1", "target", '"a"'),
        ("i2", "target", None),
    ]
    complete_chained_invoke(record, "i1", OperationStatus.SUCCEEDED, later(1), result='"b"')
    assert [r.OperationId for r in pending_chained_invokes(record)] == ["i2"]


OUTCOMES = [
    (OperationStatus.SUCCEEDED, EventType.CHAINED_INVOKE_SUCCEEDED),
    (OperationStatus.FAILED, EventType.CHAINED_INVOKE_FAILED),
    (OperationStatus.TIMED_OUT, EventType.CHAINED_INVOKE_TIMED_OUT),
    (OperationStatus.STOPPED, EventType.CHAINED_INVOKE_STOPPED),
]


@pytest.mark.parametrize(("status", "event_type"), OUTCOMES)
def test_complete_chained_invoke(status: OperationStatus, event_type: EventType) -> None:
    record = invoking()
    succeeded = status is OperationStatus.SUCCEEDED
    error = None if succeeded else ErrorObject(ErrorType="Target", ErrorMessage="x")

    invoke = complete_chained_invoke(
        record, "i1", status, later(3), result='"r"' if succeeded else None, error=error
    )

    assert invoke.Status is status
    assert invoke.EndTimestamp == later(3)
    assert invoke.ChainedInvokeDetails is not None
    assert invoke.ChainedInvokeDetails.Result == ('"r"' if succeeded else None)
    assert invoke.ChainedInvokeDetails.Error == error
    assert record.history[-1].EventType is event_type
    assert "i1" in record.undelivered
    with pytest.raises(ValidationError):
        complete_chained_invoke(record, "i1", status, later(4))


def test_complete_chained_invoke_refuses_bad_requests() -> None:
    record = invoking()

    with pytest.raises(ValidationError):
        complete_chained_invoke(record, "nope", OperationStatus.SUCCEEDED, later(1))
    with pytest.raises(ValidationError):
        complete_chained_invoke(record, "i1", OperationStatus.STARTED, later(1))
    with pytest.raises(ValidationError):
        complete_chained_invoke(
            record, "i1", OperationStatus.SUCCEEDED, later(1), error=ErrorObject()
        )
    assert record.operations["i1"].Status is OperationStatus.STARTED


def test_attach_chained_invoke_execution_shows_in_the_started_event() -> None:
    record = invoking()
    child = execution_arn("target", "child", "c1")

    attach_chained_invoke_execution(record, "i2", child)

    assert record.chained_invokes["i2"].DurableExecutionArn == child
    started_events = [e for e in record.history if e.EventType is EventType.CHAINED_INVOKE_STARTED]
    assert [
        e.ChainedInvokeStartedDetails.DurableExecutionArn
        for e in started_events
        if e.ChainedInvokeStartedDetails
    ] == [
        None,
        child,
    ]
