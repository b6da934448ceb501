"""Updates the service refuses, as the official emulator does (plus unknown-operation closes)."""

from __future__ import annotations

import pytest
from service_builders import NOW, A, T, update

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ErrorObject,
    OperationType,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from durable_lambda.service import apply_checkpoint, execution_arn, start_execution
from durable_lambda.service.operations.rules import (
    MAX_CHAINED_INVOKE_PAYLOAD_BYTES,
    MAX_ERROR_BYTES,
    MAX_OPERATION_PAYLOAD_BYTES,
)
from durable_lambda.service.operations.rules import check_identity as _check_identity
from durable_lambda.service.operations.updates import check_update
from durable_lambda.service.record import ExecutionRecord

WAIT_5 = WaitOptions(WaitSeconds=5)
RETRY_1 = StepOptions(NextAttemptDelaySeconds=1)
INVOKE = ChainedInvokeOptions(FunctionName="target")


# Operations that exist before the refused checkpoint, by id.
SETUP = [
    update("step", T.STEP, A.START, SubType="Step", Name="charge"),
    update("done", T.STEP, A.START),
    update("done", T.STEP, A.SUCCEED, Payload="1"),
    update("wait", T.WAIT, A.START, WaitOptions=WAIT_5),
    update("cb", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=9)),
    update("ctx", T.CONTEXT, A.START, SubType="RunInChildContext"),
    update("closed", T.CONTEXT, A.START),
    update("closed", T.CONTEXT, A.SUCCEED),
    update("inv", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=INVOKE),
]


def prepared() -> ExecutionRecord:
    record = start_execution(execution_arn("fn", "run", "e"), "fn", "{}", NOW)
    apply_checkpoint(record, record.checkpoint_token, SETUP, NOW)
    return record


REFUSED: dict[str, list[OperationUpdate]] = {
    "succeed an unknown step": [update("nope", T.STEP, A.SUCCEED)],
    "retry an unknown step": [update("nope", T.STEP, A.RETRY, StepOptions=RETRY_1)],
    "start a started step": [update("step", T.STEP, A.START)],
    "start a succeeded step": [update("done", T.STEP, A.START)],
    "succeed a succeeded step": [update("done", T.STEP, A.SUCCEED)],
    "retry a succeeded step": [update("done", T.STEP, A.RETRY, StepOptions=RETRY_1)],
    "retry without step options": [update("step", T.STEP, A.RETRY, Error=ErrorObject())],
    "retry with error and payload": [
        update("step", T.STEP, A.RETRY, StepOptions=RETRY_1, Error=ErrorObject(), Payload="1")
    ],
    "succeed a step with an error": [update("step", T.STEP, A.SUCCEED, Error=ErrorObject())],
    "fail a step with a payload": [update("step", T.STEP, A.FAIL, Payload="1")],
    "cancel a step": [update("step", T.STEP, A.CANCEL)],
    "start a wait without options": [update("w2", T.WAIT, A.START)],
    "start a wait twice": [update("wait", T.WAIT, A.START, WaitOptions=WAIT_5)],
    "cancel an unknown wait": [update("w2", T.WAIT, A.CANCEL)],
    "succeed a wait": [update("wait", T.WAIT, A.SUCCEED)],
    "start a callback twice": [update("cb", T.CALLBACK, A.START)],
    "succeed a callback from the handler": [update("cb", T.CALLBACK, A.SUCCEED, Payload="1")],
    "start a context twice": [update("ctx", T.CONTEXT, A.START)],
    "succeed an unknown context": [update("c2", T.CONTEXT, A.SUCCEED)],
    "succeed a succeeded context": [update("closed", T.CONTEXT, A.SUCCEED)],
    "fail a context with a payload": [update("ctx", T.CONTEXT, A.FAIL, Payload="1")],
    "succeed a context with an error": [update("ctx", T.CONTEXT, A.SUCCEED, Error=ErrorObject())],
    "retry a context": [update("ctx", T.CONTEXT, A.RETRY)],
    "invoke without options": [update("i2", T.CHAINED_INVOKE, A.START)],
    "invoke a malformed function name": [
        update(
            "i2",
            T.CHAINED_INVOKE,
            A.START,
            ChainedInvokeOptions=ChainedInvokeOptions(FunctionName="no spaces"),
        )
    ],
    "invoke with a malformed tenant": [
        update(
            "i2",
            T.CHAINED_INVOKE,
            A.START,
            ChainedInvokeOptions=ChainedInvokeOptions(FunctionName="target", TenantId="bad!tenant"),
        )
    ],
    "start an invoke twice": [
        update("inv", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=INVOKE)
    ],
    "succeed an invoke from the handler": [update("inv", T.CHAINED_INVOKE, A.SUCCEED)],
    "start the execution": [update("x", T.EXECUTION, A.START)],
    "two execution updates": [
        update("x", T.EXECUTION, A.SUCCEED),
        update("y", T.EXECUTION, A.FAIL),
    ],
    "execution update not last": [
        update("x", T.EXECUTION, A.SUCCEED),
        update("s2", T.STEP, A.START),
    ],
    "execution succeed with an error": [update("x", T.EXECUTION, A.SUCCEED, Error=ErrorObject())],
    "execution fail with a payload": [update("x", T.EXECUTION, A.FAIL, Payload="1")],
    "a parent that does not exist": [update("s2", T.STEP, A.START, ParentId="ghost")],
    "a parent that is not a context": [update("s2", T.STEP, A.START, ParentId="step")],
    "another type under the same id": [update("step", T.WAIT, A.CANCEL)],
    "another name under the same id": [update("step", T.STEP, A.SUCCEED, Name="refund")],
    "another subtype under the same id": [
        update("step", T.STEP, A.SUCCEED, SubType="WaitForCondition")
    ],
    "another parent under the same id": [update("step", T.STEP, A.SUCCEED, ParentId="ctx")],
    "the same wait twice in one batch": [
        update("w2", T.WAIT, A.START, WaitOptions=WAIT_5),
        update("w2", T.WAIT, A.CANCEL),
    ],
    "close a step twice in one batch": [
        update("step", T.STEP, A.SUCCEED),
        update("step", T.STEP, A.FAIL),
    ],
    "an error too large": [
        update("step", T.STEP, A.FAIL, Error=ErrorObject(ErrorMessage="x" * MAX_ERROR_BYTES))
    ],
    "a step payload too large": [
        update("step", T.STEP, A.SUCCEED, Payload="x" * (MAX_OPERATION_PAYLOAD_BYTES + 1))
    ],
    "an invoke input too large": [
        update(
            "i2",
            T.CHAINED_INVOKE,
            A.START,
            ChainedInvokeOptions=INVOKE,
            Payload="x" * (MAX_CHAINED_INVOKE_PAYLOAD_BYTES + 1),
        )
    ],
}


@pytest.mark.parametrize("updates", list(REFUSED.values()), ids=list(REFUSED))
def test_refused_updates_raise_a_non_retriable_checkpoint_error_and_change_nothing(
    updates: list[OperationUpdate],
) -> None:
    record = prepared()
    before = record.snapshot()

    with pytest.raises(CheckpointError) as caught:
        apply_checkpoint(
            record, record.checkpoint_token, [update("ok", T.STEP, A.START), *updates], NOW
        )

    assert caught.value.retriable is False
    assert caught.value.execution_arn == record.arn
    assert "update #" in caught.value.message
    assert record == before


def test_the_error_names_the_refused_update() -> None:
    record = prepared()

    with pytest.raises(CheckpointError) as caught:
        apply_checkpoint(
            record,
            record.checkpoint_token,
            [update("ok", T.STEP, A.START), update("done", T.STEP, A.START, Name="again")],
            NOW,
        )

    assert caught.value.operation_id == "done"
    assert caught.value.operation_name == "again"
    assert "update #1 (STEP START)" in caught.value.message


ACCEPTED: dict[str, list[OperationUpdate]] = {
    "a child under a context started in the same batch": [
        update("c2", T.CONTEXT, A.START),
        update("s2", T.STEP, A.START, ParentId="c2"),
    ],
    "a child under an existing context": [update("s2", T.STEP, A.START, ParentId="ctx")],
    "a step start then close in one batch": [
        update("s2", T.STEP, A.START),
        update("s2", T.STEP, A.FAIL),
    ],
    "a context start then close in one batch": [
        update("c2", T.CONTEXT, A.START),
        update("c2", T.CONTEXT, A.SUCCEED),
    ],
    "updates that repeat the stored identity": [
        update("step", T.STEP, A.SUCCEED, Name="charge", SubType="Step")
    ],
    "an execution update last": [
        update("s2", T.STEP, A.START),
        update("x", T.EXECUTION, A.SUCCEED, Payload="1"),
    ],
    "an invoke of a qualified ARN": [
        update(
            "i2",
            T.CHAINED_INVOKE,
            A.START,
            ChainedInvokeOptions=ChainedInvokeOptions(
                FunctionName="arn:aws:lambda:us-east-1:123456789012:function:target:$LATEST"
            ),
        )
    ],
}


@pytest.mark.parametrize("updates", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_valid_batches_are_accepted(updates: list[OperationUpdate]) -> None:
    record = prepared()

    apply_checkpoint(record, record.checkpoint_token, updates, NOW)

    assert all(u.Id in record.operations for u in updates if u.Type is not T.EXECUTION)


# check_update tests an update's identity against the stored operation with one cheap
# expression and asks _check_identity (the rule as written) only when that expression fails.
IDENTITIES: list[dict[str, object]] = [
    {},
    {"SubType": "Step"},
    {"SubType": "Other"},
    {"SubType": ""},
    {"Name": "charge"},
    {"Name": "other"},
    {"Name": ""},
    {"ParentId": "ctx"},
    {"SubType": "Step", "Name": "charge"},
    {"SubType": "Step", "Name": "other"},
]


@pytest.mark.parametrize("fields", IDENTITIES, ids=[str(fields) for fields in IDENTITIES])
@pytest.mark.parametrize("type_", [T.STEP, T.CONTEXT])
def test_the_identity_check_agrees_with_the_rule_as_written(
    fields: dict[str, object], type_: OperationType
) -> None:
    record = prepared()
    stored = record.operations["step"]
    sent = update("step", type_, A.SUCCEED, Payload="1", **fields)
    try:
        _check_identity(record, 0, sent, stored)
    except CheckpointError as error:
        expected: str | None = str(error)
    else:
        expected = None

    if expected is None:
        check_update(record, 0, sent)
    else:
        with pytest.raises(CheckpointError) as refused:
            check_update(record, 0, sent)
        assert str(refused.value) == expected
