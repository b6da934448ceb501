"""A STEP or CONTEXT that starts and closes in one checkpoint: as if the two came one by one.

The service builds such an operation closed at its START (``start_closed``) and records the
closing event in the close's turn (``record_close``); everything it leaves, and every refusal,
must be what applying the START and then the close gives.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from service_builders import NOW, A, T, checkpoint, update

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    ContextOptions,
    ErrorObject,
    OperationUpdate,
)
from durable_lambda.service import execution_arn, start_execution
from durable_lambda.service.operations.rules import MAX_ERROR_BYTES, MAX_OPERATION_PAYLOAD_BYTES
from durable_lambda.service.record import ExecutionRecord

ERROR = ErrorObject(ErrorType="E", ErrorMessage="boom", StackTrace=("a",))
REPLAY = ContextOptions(ReplayChildren=True)
NO_REPLAY = ContextOptions(ReplayChildren=False)
ITEM = {"SubType": "MapIteration", "Name": "map-item-0", "ParentId": "map"}

PAIRS: dict[str, tuple[OperationUpdate, OperationUpdate]] = {
    "a map item succeeds": (
        update("i", T.CONTEXT, A.START, **ITEM),
        update("i", T.CONTEXT, A.SUCCEED, Payload="2", **ITEM),
    ),
    "a context succeeds, its close naming nothing": (
        update("c", T.CONTEXT, A.START, SubType="RunInChildContext", Name="n"),
        update("c", T.CONTEXT, A.SUCCEED, Payload='{"a": 1}'),
    ),
    "a context succeeds without a result": (
        update("c", T.CONTEXT, A.START),
        update("c", T.CONTEXT, A.SUCCEED),
    ),
    "a context started to replay its children": (
        update("c", T.CONTEXT, A.START, ContextOptions=REPLAY),
        update("c", T.CONTEXT, A.SUCCEED, Payload=""),
    ),
    "a context closed to replay its children": (
        update("c", T.CONTEXT, A.START),
        update("c", T.CONTEXT, A.SUCCEED, Payload="", ContextOptions=REPLAY),
    ),
    "a context whose close overrides its start": (
        update("c", T.CONTEXT, A.START, ContextOptions=REPLAY),
        update("c", T.CONTEXT, A.SUCCEED, Payload="1", ContextOptions=NO_REPLAY),
    ),
    "a context whose close leaves ReplayChildren unset": (
        update("c", T.CONTEXT, A.START, ContextOptions=NO_REPLAY),
        update("c", T.CONTEXT, A.SUCCEED, Payload="1", ContextOptions=ContextOptions()),
    ),
    "a context fails": (
        update("c", T.CONTEXT, A.START, ParentId="map"),
        update("c", T.CONTEXT, A.FAIL, Error=ERROR),
    ),
    "a step succeeds": (
        update("s", T.STEP, A.START, SubType="Step", Name="charge", ParentId="map"),
        update("s", T.STEP, A.SUCCEED, Payload="1", SubType="Step", Name="charge"),
    ),
    "a step succeeds without a result": (
        update("s", T.STEP, A.START),
        update("s", T.STEP, A.SUCCEED),
    ),
    "a step fails": (
        update("s", T.STEP, A.START, Name="charge"),
        update("s", T.STEP, A.FAIL, Error=ERROR),
    ),
    "a step fails without an error": (
        update("s", T.STEP, A.START),
        update("s", T.STEP, A.FAIL),
    ),
}

# Updates before and after the pair in its checkpoint.
BEFORE = update("first", T.STEP, A.START)
AFTER = update("last", T.CONTEXT, A.START, ParentId="map")


def prepared() -> ExecutionRecord:
    """An execution with a started map, the parent of some pairs."""
    record = start_execution(execution_arn("fn", "run", "e"), "fn", "{}", NOW)
    checkpoint(record, update("map", T.CONTEXT, A.START, SubType="Map"))
    return record


def assert_same_model(mine: object, theirs: object) -> None:
    """The same values of the same types in the same order, and the same set fields."""
    assert type(mine) is type(theirs)
    if not isinstance(theirs, BaseModel):
        assert mine == theirs
        return
    assert isinstance(mine, BaseModel)
    assert list(mine.__dict__) == list(theirs.__dict__)
    assert mine.model_fields_set == theirs.model_fields_set
    for name, value in theirs.__dict__.items():
        assert_same_model(mine.__dict__[name], value)


@pytest.mark.parametrize(("start", "close"), list(PAIRS.values()), ids=list(PAIRS))
def test_a_pair_in_one_checkpoint_leaves_what_the_two_apart_leave(
    start: OperationUpdate, close: OperationUpdate
) -> None:
    together, apart = prepared(), prepared()

    response = checkpoint(together, BEFORE, start, close, AFTER)
    checkpoint(apart, BEFORE, start)
    checkpoint(apart, close, AFTER)

    assert list(together.operations) == list(apart.operations)
    for operation_id, operation in apart.operations.items():
        assert_same_model(together.operations[operation_id], operation)
    assert together.history == apart.history  # both events of the pair, in order
    for mine, theirs in zip(together.history, apart.history, strict=True):
        assert_same_model(mine, theirs)
    changed = [operation.Id for operation in response.NewExecutionState.Operations]
    assert changed == ["first", start.Id, "last"]
    assert response.NewExecutionState.Operations[1] is together.operations[start.Id]


# What may come between a START and its close (the operation's children among it).
BETWEEN: dict[str, list[OperationUpdate]] = {
    "nothing": [],
    "a sibling that starts": [update("sib", T.CONTEXT, A.START, ParentId="map")],
    "a sibling that starts and closes": [
        update("sib", T.STEP, A.START),
        update("sib", T.STEP, A.SUCCEED, Payload="3"),
    ],
    "a child that starts and closes": [
        update("kid", T.STEP, A.START, ParentId="c"),
        update("kid", T.STEP, A.SUCCEED, Payload="3", ParentId="c"),
    ],
    "a grandchild under a child": [
        update("kid", T.CONTEXT, A.START, ParentId="c"),
        update("grandkid", T.STEP, A.START, ParentId="kid"),
    ],
}


@pytest.mark.parametrize("between", list(BETWEEN.values()), ids=list(BETWEEN))
@pytest.mark.parametrize("action", [A.SUCCEED, A.FAIL])
def test_a_pair_apart_in_its_checkpoint_leaves_what_the_two_apart_leave(
    action: A, between: list[OperationUpdate]
) -> None:
    start = update("c", T.CONTEXT, A.START, SubType="RunInChildContext", Name="n")
    outcome = {"Payload": "1"} if action is A.SUCCEED else {"Error": ERROR}
    close = update("c", T.CONTEXT, action, **outcome)
    together, apart = prepared(), prepared()

    response = checkpoint(together, BEFORE, start, *between, close, AFTER)
    checkpoint(apart, BEFORE, start, *between)
    checkpoint(apart, close, AFTER)

    assert list(together.operations) == list(apart.operations)
    for operation_id, operation in apart.operations.items():
        assert_same_model(together.operations[operation_id], operation)
    assert together.history == apart.history
    for mine, theirs in zip(together.history, apart.history, strict=True):
        assert_same_model(mine, theirs)
    changed = [operation.Id for operation in response.NewExecutionState.Operations]
    assert changed == list(dict.fromkeys(["first", "c", *(u.Id for u in between), "last"]))


def test_an_update_refused_between_a_start_and_its_close_is_the_one_reported() -> None:
    start = update("c", T.CONTEXT, A.START)
    refused = update("s", T.STEP, A.START, ParentId="ghost")
    record = prepared()
    before = record.snapshot()

    with pytest.raises(CheckpointError) as caught:
        checkpoint(record, start, refused, update("c", T.CONTEXT, A.SUCCEED, Payload="1"))

    assert "update #1 (STEP START) refused: parent ghost does not exist" in caught.value.message
    assert record == before


REFUSED_CLOSES: dict[str, OperationUpdate] = {
    "a success with an error": update("c", T.CONTEXT, A.SUCCEED, Error=ERROR),
    "a failure with a payload": update("c", T.CONTEXT, A.FAIL, Payload="1"),
    "a payload too large": update(
        "c", T.CONTEXT, A.SUCCEED, Payload="x" * (MAX_OPERATION_PAYLOAD_BYTES + 1)
    ),
    "an error too large": update(
        "c", T.CONTEXT, A.FAIL, Error=ErrorObject(ErrorMessage="x" * MAX_ERROR_BYTES)
    ),
    "another name": update("c", T.CONTEXT, A.SUCCEED, Name="other"),
    "another subtype": update("c", T.CONTEXT, A.SUCCEED, SubType="Other"),
    "another parent that exists": update("c", T.CONTEXT, A.SUCCEED, ParentId="map"),
    "another parent that does not exist": update("c", T.CONTEXT, A.SUCCEED, ParentId="ghost"),
    "another type": update("c", T.STEP, A.SUCCEED),
    "an action contexts do not take": update("c", T.CONTEXT, A.RETRY),
}


@pytest.mark.parametrize("between", [[], [AFTER]], ids=["next", "later"])
@pytest.mark.parametrize("close", list(REFUSED_CLOSES.values()), ids=list(REFUSED_CLOSES))
def test_a_refused_close_is_refused_as_it_would_be_on_its_own(
    close: OperationUpdate, between: list[OperationUpdate]
) -> None:
    start = update("c", T.CONTEXT, A.START, SubType="RunInChildContext", Name="n")
    together, apart = prepared(), prepared()
    before = together.snapshot()

    with pytest.raises(CheckpointError) as caught:
        checkpoint(together, BEFORE, start, *between, close)
    checkpoint(apart, BEFORE, start, *between)
    with pytest.raises(CheckpointError) as expected:
        checkpoint(apart, close)

    position = f"update #{2 + len(between)}"
    assert caught.value.message == expected.value.message.replace("update #0", position)
    assert caught.value.retriable is False
    assert (caught.value.operation_id, caught.value.operation_name) == (
        expected.value.operation_id,
        expected.value.operation_name,
    )
    assert together == before  # nothing of the checkpoint is left


def test_a_step_closed_by_a_retry_is_not_a_pair_and_waits_for_its_next_attempt() -> None:
    record = prepared()
    retry = update("s", T.STEP, A.RETRY, Error=ERROR, StepOptions={"NextAttemptDelaySeconds": 5})

    checkpoint(record, update("s", T.STEP, A.START), retry)

    step = record.operations["s"]
    assert step.Status.value == "PENDING"
    assert step.StepDetails is not None
    assert step.StepDetails.Attempt == 1
    assert [event.EventType.value for event in record.history][-2:] == ["StepStarted", "StepFailed"]
