"""Operations kept as validated dicts give exactly what ``Operation`` models give.

An invocation input's operations are validated into ``OperationFields`` dicts (``OperationList``)
and built into ``Operation`` models only when read; ``DurableState`` replays completed
operations from the dicts. Every test here compares that form with the models: what is accepted,
what is rejected and with which errors, the values built, what is serialised, and what the state
answers.
"""

from __future__ import annotations

import gc
import tracemalloc
import typing
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_lambda.core import model, operation_fields
from durable_lambda.core.errors import NonDeterministicExecutionError
from durable_lambda.core.model import (
    ExecutionState,
    InvocationInput,
    Operation,
    OperationList,
    OperationStatus,
    OperationSubType,
    OperationType,
    StepDetails,
)
from durable_lambda.core.operation_fields import (
    operation_fields_validator,
    packed,
    unpacked,
)
from durable_lambda.core.state import NOT_SUCCEEDED, DurableState, OperationIdentity

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/run/abc"
T0 = 1_767_225_600_000
MODELS: pydantic.TypeAdapter[list[Operation]] = pydantic.TypeAdapter(list[Operation])


@pytest.fixture(autouse=True)
def _dict_validator_built() -> None:
    """Build the dict validator, as a warm process has: the dict form is what is tested here.

    Until it exists, the first operations of a process are validated as models
    (``worth_building``), and this file alone would not reach the dict form.
    """
    operation_fields_validator()


# Each TypedDict and the model it mirrors.
MIRRORS: list[tuple[Any, type[pydantic.BaseModel]]] = [
    (operation_fields.OperationFields, model.Operation),
    (operation_fields.ErrorFields, model.ErrorObject),
    (operation_fields.ExecutionDetailsFields, model.ExecutionDetails),
    (operation_fields.ContextDetailsFields, model.ContextDetails),
    (operation_fields.StepDetailsFields, model.StepDetails),
    (operation_fields.WaitDetailsFields, model.WaitDetails),
    (operation_fields.CallbackDetailsFields, model.CallbackDetails),
    (operation_fields.ChainedInvokeDetailsFields, model.ChainedInvokeDetails),
]


@pytest.mark.parametrize(("fields", "wire_model"), MIRRORS, ids=lambda m: m.__name__)
def test_each_typed_dict_has_its_models_fields_with_the_same_required_ones(
    fields: Any, wire_model: type[pydantic.BaseModel]
) -> None:
    hints = typing.get_type_hints(fields)
    assert set(hints) == set(wire_model.model_fields)
    required = {name for name, info in wire_model.model_fields.items() if info.is_required()}
    assert set(fields.__required_keys__) == required


def _step(status: str = "SUCCEEDED", **fields: Any) -> dict[str, Any]:
    return {
        "Id": "s1",
        "Type": "STEP",
        "SubType": "Step",
        "Name": "charge",
        "Status": status,
        "StartTimestamp": T0,
        "StepDetails": {"Attempt": 1, "Result": '{"ok": true}'},
        **fields,
    }


EXECUTION = {
    "Id": "exec",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": T0,
    "ExecutionDetails": {"InputPayload": "{}"},
}

# Operations the dict form keeps: every type, details with errors, every kind of timestamp.
ACCEPTED: list[dict[str, Any]] = [
    EXECUTION,
    _step(),
    _step("PENDING", StepDetails={"Attempt": 2, "NextAttemptTimestamp": T0 + 5_000}),
    _step("FAILED", StepDetails={"Error": {"ErrorType": "E", "StackTrace": ["a", "b"]}}),
    _step(EndTimestamp="2026-01-01T00:00:01Z"),
    _step(EndTimestamp=datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)),
    _step(EndTimestamp=1_767_225_601.5),
    _step(Name=None, ParentId="p" * 64, Unknown={"future": 1}),
    {
        "Id": "c",
        "Type": "CONTEXT",
        "SubType": "Map",
        "Status": "SUCCEEDED",
        "StartTimestamp": T0,
        "ContextDetails": {"ReplayChildren": True, "Result": "[1]"},
    },
    {
        "Id": "w",
        "Type": "WAIT",
        "Status": "STARTED",
        "StartTimestamp": T0,
        "WaitDetails": {"ScheduledEndTimestamp": T0 + 60_000},
    },
    {
        "Id": "cb",
        "Type": "CALLBACK",
        "Status": "STARTED",
        "StartTimestamp": T0,
        "CallbackDetails": {"CallbackId": "x"},
    },
    {
        "Id": "i",
        "Type": "CHAINED_INVOKE",
        "Status": "FAILED",
        "StartTimestamp": T0,
        "ChainedInvokeDetails": {"Error": {"ErrorMessage": "no"}},
    },
]


def test_accepted_operations_stay_dicts_and_build_the_models_validation_builds() -> None:
    state = ExecutionState.model_validate({"Operations": ACCEPTED})
    operations = state.Operations
    assert isinstance(operations, OperationList)
    assert all(type(entry) is dict for entry in operations.entries())
    assert list(operations) == MODELS.validate_python(ACCEPTED)


def test_an_operation_is_built_once_when_first_read() -> None:
    operations = ExecutionState.model_validate({"Operations": ACCEPTED}).Operations
    assert isinstance(operations, OperationList)
    first = operations[1]
    assert operations[1] is first
    assert operations.entries()[1] is first
    assert type(operations.entries()[2]) is dict  # the others are still dicts


@pytest.mark.parametrize(
    "millis", [0, 1, 20_000_000_000, 20_000_000_001, 253_402_300_799_999], ids=str
)
def test_every_timestamp_kept_as_an_int_builds_the_datetime_the_model_reads(millis: int) -> None:
    operations = ExecutionState.model_validate(
        {"Operations": [{**EXECUTION, "StartTimestamp": millis}]}
    ).Operations
    assert isinstance(operations, OperationList)
    assert operations.entries()[0]["StartTimestamp"] == millis  # type: ignore[index]
    assert (
        operations[0].StartTimestamp
        == Operation.model_validate({**EXECUTION, "StartTimestamp": millis}).StartTimestamp
    )


def test_models_and_dicts_mixed_validate_as_models() -> None:
    built = Operation.model_validate(EXECUTION)
    mixed = [built, _step(), _step(Id="s2", StepDetails=StepDetails(Result="1"))]
    operations = ExecutionState.model_validate({"Operations": mixed}).Operations
    assert list(operations) == MODELS.validate_python(mixed)
    assert operations[0] is built


@pytest.mark.parametrize(
    "operations",
    [
        [{**EXECUTION, "Status": "DONE"}],
        [_step(Id="")],
        [_step(StepDetails={"Attempt": -1})],
        [_step(StartTimestamp="yesterday")],
        [_step(StartTimestamp=True)],
        [_step(StartTimestamp=10**20)],
        [EXECUTION, {"Type": "STEP"}],
        ["not an operation"],
    ],
    ids=repr,
)
def test_rejected_operations_get_the_models_errors(operations: list[Any]) -> None:
    with pytest.raises(pydantic.ValidationError) as expected:
        MODELS.validate_python(operations)
    with pytest.raises(pydantic.ValidationError) as caught:
        ExecutionState.model_validate({"Operations": operations})
    assert _errors(caught.value, prefix=1) == _errors(expected.value)


def _errors(error: pydantic.ValidationError, prefix: int = 0) -> list[tuple[Any, ...]]:
    return [
        (issue["loc"][prefix:], issue["type"], issue["msg"])
        for issue in error.errors(include_url=False)
    ]


# Arbitrary operations: right and wrong values for every field.
_junk: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4) | st.just([])
)
_timestamp = (
    st.integers(min_value=-(10**16), max_value=10**16)
    | st.sampled_from([0, 253_402_300_799_999, 253_402_300_800_000, 20_000_000_000])
    | st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
    | _junk
)
_text = st.text(max_size=3) | _junk
_error = st.fixed_dictionaries(
    {}, optional={"ErrorType": _text, "StackTrace": st.lists(st.text(max_size=2)) | _junk}
)
_details = st.fixed_dictionaries(
    {},
    optional={
        "Attempt": st.integers(min_value=-2, max_value=3) | _junk,
        "NextAttemptTimestamp": _timestamp,
        "ScheduledEndTimestamp": _timestamp,
        "ReplayChildren": _junk,
        "Result": _text,
        "Error": _error | _junk,
        "CallbackId": _text,
        "InputPayload": _text,
    },
)
_operation = st.fixed_dictionaries(
    {
        "Id": st.text(min_size=0, max_size=66) | _junk,
        "Type": st.sampled_from([t.value for t in OperationType]) | _junk,
        "Status": st.sampled_from([s.value for s in OperationStatus]) | _junk,
        "StartTimestamp": _timestamp,
    },
    optional={
        "ParentId": st.text(max_size=66) | _junk,
        "Name": _text,
        "SubType": _text,
        "EndTimestamp": _timestamp,
        "ExecutionDetails": _details | _junk,
        "ContextDetails": _details | _junk,
        "StepDetails": _details | _junk,
        "WaitDetails": _details | _junk,
        "CallbackDetails": _details | _junk,
        "ChainedInvokeDetails": _details | _junk,
    },
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_operation, max_size=3))
def test_any_operations_validate_as_the_models_validate_them(operations: list[Any]) -> None:
    try:
        expected = MODELS.validate_python(operations)
    except pydantic.ValidationError as error:
        expected_errors = _errors(error)
    else:
        expected_errors = []
    if expected_errors:
        with pytest.raises(pydantic.ValidationError) as caught:
            ExecutionState.model_validate({"Operations": operations})
        assert _errors(caught.value, prefix=1) == expected_errors
        # The dict form never accepts what the models reject...
        with pytest.raises(pydantic.ValidationError):
            operation_fields_validator().validate_python(operations)
        return
    assert list(ExecutionState.model_validate({"Operations": operations}).Operations) == expected
    # ... and, where it accepts, builds the same models.
    try:
        fields = operation_fields_validator().validate_python(operations)
    except pydantic.ValidationError:
        return
    assert [Operation.model_validate(entry) for entry in fields] == expected
    # Packed as the state keeps a checkpoint's answer, each unpacks to the dict it was.
    assert [unpacked(packed(entry)) for entry in fields] == fields


GENERATED: pydantic.TypeAdapter[list[operation_fields.OperationFields]] = pydantic.TypeAdapter(
    list[operation_fields.OperationFields]
)
"""What pydantic generates from the TypedDicts: the schema ``operation_fields_validator`` spells
out by hand (to build in a fraction of the time) must accept, refuse and return the same."""


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_operation, max_size=3))
def test_the_written_out_schema_validates_as_the_typed_dicts_generated_one(
    operations: list[Any],
) -> None:
    try:
        expected = GENERATED.validate_python(operations)
    except pydantic.ValidationError as error:
        expected_errors = _errors(error)
    else:
        expected_errors = []
    if expected_errors:
        with pytest.raises(pydantic.ValidationError) as caught:
            operation_fields_validator().validate_python(operations)
        assert _errors(caught.value) == expected_errors
        return
    validated = operation_fields_validator().validate_python(operations)
    assert validated == expected
    # Same values, of the same types, down to the nested dicts' keys and tuples.
    assert repr(validated) == repr(expected)


def test_the_list_compares_serialises_and_copies_as_a_tuple_of_models() -> None:
    invocation = InvocationInput.model_validate(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "t",
            "InitialExecutionState": {"Operations": ACCEPTED},
        }
    )
    models = tuple(MODELS.validate_python(ACCEPTED))
    operations = invocation.InitialExecutionState.Operations
    assert operations == models
    compared: object = operations  # a Sequence to the type checker; it compares with lists too
    assert compared == list(models)
    assert operations != models[:-1]
    assert operations[1:3] == models[1:3]
    assert operations[-1] == models[-1]
    assert len(operations) == len(models)
    expected_wire = [op.to_wire() for op in models]
    assert invocation.to_wire()["InitialExecutionState"]["Operations"] == expected_wire
    # A tuple in Python mode, as the field's type was before it kept dicts.
    assert invocation.model_dump()["InitialExecutionState"]["Operations"] == tuple(
        op.model_dump() for op in models
    )
    again = InvocationInput.model_validate_json(invocation.model_dump_json())
    assert again == invocation
    assert invocation.model_copy() == invocation
    assert ExecutionState(Operations=models).Operations == models
    assert ExecutionState().Operations == ()


# The state answers the same from dicts as from models.


def _states(operations: list[dict[str, Any]]) -> list[DurableState]:
    """The same operations in a state built from the dict form, and in one built from models."""
    as_fields = ExecutionState.model_validate({"Operations": operations}).Operations
    return [
        DurableState(ARN, OperationList.entries_of(as_fields)),
        DurableState(ARN, MODELS.validate_python(operations)),
    ]


def _identity(
    operation_id: str = "s1",
    name: str | None = "charge",
    type: OperationType = OperationType.STEP,
    sub_type: str | None = OperationSubType.STEP,
    parent_id: str | None = None,
) -> OperationIdentity:
    return OperationIdentity(operation_id, type, sub_type, name, parent_id)


def _payload(state: DurableState, identity: OperationIdentity) -> object:
    return state.succeeded_payload(
        identity.operation_id,
        identity.type,
        identity.sub_type,
        identity.name,
        identity.parent_id,
    )


@pytest.mark.parametrize("state", _states([EXECUTION, _step()]), ids=["dicts", "models"])
def test_a_succeeded_operation_replays_its_payload(state: DurableState) -> None:
    assert _payload(state, _identity()) == '{"ok": true}'
    assert _payload(state, _identity("elsewhere")) is NOT_SUCCEEDED
    assert state.execution.Id == "exec"
    assert state.has_completed_work()


@pytest.mark.parametrize(
    "operations",
    [
        [EXECUTION, _step("STARTED")],
        [EXECUTION, _step("PENDING")],
        [EXECUTION, _step("FAILED")],
    ],
    ids=["started", "pending", "failed"],
)
def test_an_unfinished_or_failed_operation_is_not_replayed_as_a_success(
    operations: list[dict[str, Any]],
) -> None:
    for state in _states(operations):
        assert _payload(state, _identity()) is NOT_SUCCEEDED
        checked = state.checked(_identity())
        assert checked == Operation.model_validate(operations[1])


def test_each_type_replays_the_result_of_its_own_details() -> None:
    context = {
        "Id": "c",
        "Type": "CONTEXT",
        "SubType": "RunInChildContext",
        "Status": "SUCCEEDED",
        "StartTimestamp": T0,
        "ContextDetails": {"Result": "7"},
        "StepDetails": {"Result": "wrong details"},
    }
    no_result = _step(StepDetails=None)
    for state in _states([EXECUTION, context, no_result]):
        context_identity = _identity("c", None, OperationType.CONTEXT, "RunInChildContext")
        assert _payload(state, context_identity) == "7"
        assert _payload(state, _identity()) is None


@pytest.mark.parametrize(
    "identity",
    [
        _identity(name="refund"),
        _identity(type=OperationType.WAIT, sub_type="Wait"),
        _identity(sub_type="Other"),
        _identity(parent_id="p"),
    ],
    ids=["name", "type", "subtype", "parent"],
)
def test_a_different_operation_at_the_id_is_non_deterministic_either_way(
    identity: OperationIdentity,
) -> None:
    messages = []
    for state in _states([EXECUTION, _step()]):
        with pytest.raises(NonDeterministicExecutionError) as caught:
            _payload(state, identity)
        assert state.fatal_error is caught.value
        with pytest.raises(NonDeterministicExecutionError) as again:
            state.checked(identity)
        assert str(again.value) == str(caught.value)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_reads_of_the_whole_state_build_models_in_first_seen_order() -> None:
    child = _step(Id="s2", ParentId="c", Name=None, Status="STARTED")
    operations = [EXECUTION, _step(), child]
    dicts, models = _states(operations)
    assert dicts.children_of("c") == models.children_of("c") == [Operation.model_validate(child)]
    assert dicts.operations() == models.operations()
    assert dicts.get("s1") == models.get("s1")
    assert dicts.get("missing") is None
    assert len(dicts) == len(models) == 3


def test_an_applied_operation_replaces_the_dict() -> None:
    state = _states([EXECUTION, _step("STARTED")])[0]
    newer = Operation.model_validate(_step())
    state.apply([newer])
    assert state.get("s1") is newer
    assert _payload(state, _identity()) == '{"ok": true}'


def test_operations_applied_from_a_wire_response_replay_and_build_when_read() -> None:
    state = _states([EXECUTION])[1]
    response = ExecutionState.model_validate({"Operations": [_step()]})
    state.apply(response.Operations)
    assert _payload(state, _identity()) == '{"ok": true}'
    assert state.get("s1") == Operation.model_validate(_step())


def _context(**details: Any) -> dict[str, Any]:
    return {
        "Id": "c",
        "Type": "CONTEXT",
        "SubType": "RunInChildContext",
        "Name": "child",
        "Status": "SUCCEEDED",
        "StartTimestamp": T0,
        "ContextDetails": details,
    }


CHILD = _identity("c", "child", OperationType.CONTEXT, "RunInChildContext")


def test_a_context_that_replays_its_children_has_no_payload_to_replay() -> None:
    for state in _states([EXECUTION, _context(ReplayChildren=True, Result="summary")]):
        assert _payload(state, CHILD) is NOT_SUCCEEDED
        checked = state.checked(CHILD)
        assert checked is not None
        assert checked.Status is OperationStatus.SUCCEEDED
    for state in _states([EXECUTION, _context(ReplayChildren=False, Result="5")]):
        assert _payload(state, CHILD) == "5"


# Operations a checkpoint answers: kept packed, read back as they were answered.


def _answered(operations: list[dict[str, Any]]) -> OperationList:
    answer = ExecutionState.model_validate({"Operations": operations}).Operations
    assert isinstance(answer, OperationList)
    return answer


def test_answered_operations_read_back_as_the_answer_gave_them() -> None:
    child = _step(Id="s2", ParentId="c", Name=None, Status="STARTED")
    answered = [_step("FAILED", StepDetails={"Error": {"ErrorType": "E", "StackTrace": ["a"]}})]
    answered += [child, _context(ReplayChildren=True, Result="summary")]
    state = _states([EXECUTION])[0]
    state.apply(_answered(answered))
    assert state.operations() == MODELS.validate_python([EXECUTION, *answered])
    assert state.children_of("c") == [Operation.model_validate(child)]
    assert _payload(state, _identity()) is NOT_SUCCEEDED
    assert _payload(state, CHILD) is NOT_SUCCEEDED
    with pytest.raises(NonDeterministicExecutionError):
        _payload(state, _identity(name="refund"))
    state.apply(_answered([_step()]))
    assert _payload(state, _identity()) == '{"ok": true}'
    assert state.get("s1") == Operation.model_validate(_step())


def test_an_operation_answered_again_keeps_the_id_the_state_holds() -> None:
    first_id, second_id = "".join(["s", "1"]), "".join(["s", "1"])
    assert first_id is not second_id
    state = _states([EXECUTION])[0]
    state.apply(_answered([_step("STARTED", Id=first_id)]))
    state.apply(_answered([_step(Id=second_id)]))
    # One string for the key and the record: the one the state had.
    assert [op.Id for op in state.operations()][1] is first_id
    assert state.get("s1") == Operation.model_validate(_step())


def test_answered_operations_take_less_memory_than_their_dicts() -> None:
    answer = _answered([_step(Id=f"{n:064}", Name=f"s{n}") for n in range(500)])
    dicts: list[Any] = list(answer.entries())
    state = _states([EXECUTION])[0]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state.apply(answer)
        packed_bytes = tracemalloc.get_traced_memory()[0] - before
        before = tracemalloc.get_traced_memory()[0]
        copies = [{**entry, "StepDetails": dict(entry["StepDetails"])} for entry in dicts]
        dict_bytes = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(copies) == 500
    assert packed_bytes < 0.6 * dict_bytes, (packed_bytes, dict_bytes)


def test_a_packed_operation_is_a_tuple_sharing_its_keys_with_its_shape() -> None:
    # A stack trace (a tuple itself) stays a tuple of lines, not read as a packed dict.
    trace = _step(StepDetails={"Error": {"ErrorType": "E", "StackTrace": ["a", "b"]}})
    fields: Any = _answered([trace]).entries()[0]
    assert unpacked(packed(fields)) == fields
    assert unpacked(packed(fields))["StepDetails"]["Error"]["StackTrace"] == ("a", "b")
    entries: list[Any] = _answered([_step(), _step(Id="s2")]).entries()
    first, second = (packed(entry) for entry in entries)
    assert type(first) is tuple
    assert first[0] is second[0]  # one keys' tuple per shape
    assert type(first[first[0].index("StepDetails") + 1]) is tuple
