"""``changed``: the service's cheap ``model_copy(update=...)`` gives exactly what pydantic gives."""

from __future__ import annotations

import pytest
from service_builders import NOW, A, T, checkpoint, later, update

from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ContextDetails,
    ContextOptions,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
    StepDetails,
    StepOptions,
    WaitOptions,
)
from durable_lambda.service import (
    advance,
    complete_chained_invoke,
    execution_arn,
    send_callback_success,
    start_execution,
    stop_execution,
)
from durable_lambda.service.history import EventType
from durable_lambda.service.model_changes import changed, validating

STARTED = Operation(
    Id="s",
    Type=OperationType.STEP,
    StartTimestamp=NOW,
    Status=OperationStatus.STARTED,
    StepDetails=StepDetails(Attempt=0),
)
ERROR = ErrorObject(ErrorType="E", ErrorMessage="boom", StackTrace=("a",))


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"Status": OperationStatus.SUCCEEDED, "EndTimestamp": later(1)},
        {"StepDetails": StepDetails(Attempt=1, Result="1"), "Status": OperationStatus.FAILED},
        {"StepDetails": None, "Name": None},
        {"ContextDetails": ContextDetails(Error=ERROR), "StartTimestamp": NOW},
    ],
)
def test_changed_is_model_copy_with_update(values: dict[str, object]) -> None:
    with validating():  # compares with model_copy and with validation, field by field
        copy = changed(STARTED, **values)

    expected = STARTED.model_copy(update=values)
    assert copy == expected
    assert list(copy.__dict__) == list(expected.__dict__)
    assert copy.model_fields_set == expected.model_fields_set
    assert copy.model_dump_json() == expected.model_dump_json()
    assert copy.__pydantic_extra__ is None
    assert copy.__pydantic_private__ is None
    assert STARTED.Status is OperationStatus.STARTED  # the original is untouched


def test_changing_a_changed_model_keeps_every_set_field() -> None:
    copy = changed(changed(STARTED, Name="n"), EndTimestamp=later(2))

    assert copy.model_fields_set == STARTED.model_fields_set | {"Name", "EndTimestamp"}


def test_validating_catches_a_value_validation_would_have_changed() -> None:
    with validating(), pytest.raises(AssertionError):
        changed(STARTED, Status="SUCCEEDED")  # a str where validation makes an enum


def test_every_change_the_service_makes_is_what_validation_gives() -> None:
    # Each kind of update, timer and outside answer that closes or changes an operation.
    record = start_execution(execution_arn("fn", "run", "e"), "fn", "{}", NOW)
    with validating():
        checkpoint(
            record,
            update("c", T.CONTEXT, A.START, ContextOptions=ContextOptions(ReplayChildren=True)),
            update("c", T.CONTEXT, A.SUCCEED, Payload="1"),
            update("f", T.CONTEXT, A.START),
            update("f", T.CONTEXT, A.FAIL, Error=ERROR),
            update("s", T.STEP, A.START, Name="n"),
            update("s", T.STEP, A.SUCCEED, Payload="2"),
            update("x", T.STEP, A.START),
            update("x", T.STEP, A.FAIL, Error=ERROR),
            update("r", T.STEP, A.START),
            update(
                "r",
                T.STEP,
                A.RETRY,
                Error=ERROR,
                StepOptions=StepOptions(NextAttemptDelaySeconds=1),
            ),
            update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=1)),
            update("k", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=9)),
            update("cb", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=60)),
            update(
                "i",
                T.CHAINED_INVOKE,
                A.START,
                ChainedInvokeOptions=ChainedInvokeOptions(FunctionName="t"),
            ),
        )
        checkpoint(record, update("k", T.WAIT, A.CANCEL))
        advance(record, later(2))
        checkpoint(
            record, update("r", T.STEP, A.START), update("r", T.STEP, A.SUCCEED), at=later(2)
        )
        callback_id = record.operations["cb"].CallbackDetails.CallbackId  # type: ignore[union-attr]
        assert callback_id is not None
        send_callback_success(record, callback_id, "3", later(3))
        complete_chained_invoke(record, "i", OperationStatus.SUCCEEDED, later(3), result="4")
        stop_execution(record, later(4))

    assert record.history[-1].EventType is EventType.EXECUTION_STOPPED
    assert {op.Status for op in record.operations.values()} >= {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.STOPPED,
    }
