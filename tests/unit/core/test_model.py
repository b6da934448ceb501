"""The wire models against botocore's model of the ``lambda`` service, the API's own contract.

Field sets, enums, required members and limits are compared with botocore's shapes, so a field
botocore adds (or a limit it changes) fails here first. Realistic instances of every operation
type, status, details and options variant are dumped with ``to_wire()``, checked with botocore's
own request validator, and parsed back.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import botocore.session
import pydantic
import pytest
from botocore.model import ListShape, ServiceModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.validate import ParamValidator

from durable_lambda.core import model
from durable_lambda.core.model import (
    CallbackDetails,
    CallbackOptions,
    ChainedInvokeDetails,
    ChainedInvokeOptions,
    CheckpointResponse,
    ContextDetails,
    ContextOptions,
    ErrorObject,
    ExecutionDetails,
    ExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepDetails,
    StepOptions,
    WaitDetails,
    WaitOptions,
    WireModel,
)

ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST"
    "/durable-execution/run-1/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)
EXECUTION_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STEP_ID = "c4ca4238a0b923820dcc509a6f75849b" * 2  # 64 hex characters, like a real id
CHILD_ID = "c81e728d9d4c2f636f067f89cc14862c" * 2
T0 = datetime(2026, 1, 1, 12, 0, 0, 123_000, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 12, 0, 5, 456_000, tzinfo=UTC)
T2 = datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC)
BOOM = ErrorObject(
    ErrorType="ValueError",
    ErrorMessage="card declined",
    ErrorData='{"code": 402}',
    StackTrace=("Traceback (most recent call last):", '  File "app.py", line 3', "ValueError"),
)


@cache
def lambda_model() -> ServiceModel:
    """botocore's model of the ``lambda`` service (the newest API version it ships)."""
    return botocore.session.get_session().get_service_model("lambda")


def structure(name: str) -> StructureShape:
    shape = lambda_model().shape_for(name)
    assert isinstance(shape, StructureShape), name
    return shape


def checkpoint_input() -> StructureShape:
    """The request shape of ``CheckpointDurableExecution``."""
    shape = lambda_model().operation_model("CheckpointDurableExecution").input_shape
    assert shape is not None
    return shape


def wire_classes() -> dict[str, type[WireModel]]:
    """Our model class for every structure reachable from Operation and OperationUpdate."""
    found: dict[str, type[WireModel]] = {}

    def visit(shape: Shape) -> None:
        if isinstance(shape, ListShape):
            visit(shape.member)
        if not isinstance(shape, StructureShape) or shape.name in found:
            return
        cls = getattr(model, shape.name, None)
        assert isinstance(cls, type), f"botocore shape {shape.name} has no wire model"
        assert issubclass(cls, WireModel), f"{shape.name} is not a WireModel"
        found[shape.name] = cls
        for member in shape.members.values():
            visit(member)

    visit(structure("Operation"))
    visit(structure("OperationUpdate"))
    return found


# Field sets, required members, types.


def test_every_details_and_options_shape_has_a_model() -> None:
    assert set(wire_classes()) == {
        "Operation",
        "OperationUpdate",
        "ErrorObject",
        "ExecutionDetails",
        "ContextDetails",
        "StepDetails",
        "WaitDetails",
        "CallbackDetails",
        "ChainedInvokeDetails",
        "ContextOptions",
        "StepOptions",
        "WaitOptions",
        "CallbackOptions",
        "ChainedInvokeOptions",
    }


@pytest.mark.parametrize("shape_name", sorted(wire_classes()))
def test_field_set_equals_botocore_member_set(shape_name: str) -> None:
    cls = wire_classes()[shape_name]
    assert set(cls.model_fields) == set(structure(shape_name).members)


@pytest.mark.parametrize("shape_name", sorted(wire_classes()))
def test_required_fields_equal_botocore_required_members(shape_name: str) -> None:
    cls = wire_classes()[shape_name]
    required = {name for name, field in cls.model_fields.items() if field.is_required()}
    assert required == set(structure(shape_name).required_members)


@pytest.mark.parametrize(
    ("ours", "shape_name"),
    [
        (ExecutionState, "GetDurableExecutionStateResponse"),
        (ExecutionState, "CheckpointUpdatedExecutionState"),
        (CheckpointResponse, "CheckpointDurableExecutionResponse"),
    ],
)
def test_response_models_cover_botocore_output_members(
    ours: type[WireModel], shape_name: str
) -> None:
    assert set(ours.model_fields) == set(structure(shape_name).members)


def _value_type(annotation: Any) -> Any:
    """Strip ``| None`` and ``Annotated[...]`` off a field annotation."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (annotation,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _botocore_type_of(annotation: Any) -> str:
    value_type = _value_type(annotation)
    if typing.get_origin(value_type) is tuple:
        return "list"
    if isinstance(value_type, type) and issubclass(value_type, WireModel):
        return "structure"
    # bool before int: bool is a subclass of int.
    scalar = {bool: "boolean", int: "integer", str: "string", datetime: "timestamp"}
    for python_type, botocore_type in scalar.items():
        if isinstance(value_type, type) and issubclass(value_type, python_type):
            return botocore_type
    raise AssertionError(f"unexpected annotation {annotation!r}")


@pytest.mark.parametrize("shape_name", sorted(wire_classes()))
def test_field_types_match_botocore(shape_name: str) -> None:
    cls = wire_classes()[shape_name]
    for name, member in structure(shape_name).members.items():
        annotation = cls.model_fields[name].annotation
        assert _botocore_type_of(annotation) == member.type_name, f"{shape_name}.{name}"
        value_type = _value_type(annotation)
        if member.type_name == "structure":
            assert value_type.__name__ == member.name, f"{shape_name}.{name}"


# Enums.


@pytest.mark.parametrize(
    ("ours", "shape_name"),
    [
        (OperationType, "OperationType"),
        (OperationStatus, "OperationStatus"),
        (OperationAction, "OperationAction"),
    ],
)
def test_enum_values_equal_botocore_enum(ours: type[StrEnum], shape_name: str) -> None:
    shape = lambda_model().shape_for(shape_name)
    assert [member.value for member in ours] == shape.metadata["enum"]


def test_subtypes_satisfy_botocore_subtype_constraints() -> None:
    # botocore does not enumerate subtypes, only constrains them; each of ours must pass.
    shape = lambda_model().shape_for("OperationSubType")
    for sub_type in OperationSubType:
        assert shape.metadata["min"] <= len(sub_type.value) <= shape.metadata["max"]
    update = OperationUpdate(
        Id=STEP_ID, Type=OperationType.STEP, Action=OperationAction.START, SubType="Step"
    )
    for sub_type in OperationSubType:
        request = checkpoint_request([update.model_copy(update={"SubType": sub_type.value})])
        assert_valid(request, checkpoint_input())


# Limits: each botocore min/max is either enforced by our model with the same value, or listed
# here with the reason it is not enforced client-side. A limit botocore adds fails the test.
UNENFORCED_LIMITS = {
    # Names come from users; the service reports a bad one with its own message.
    ("Operation", "Name"),
    ("OperationUpdate", "Name"),
    # Subtypes are the SDK's own constants (checked above against the limit).
    ("Operation", "SubType"),
    ("OperationUpdate", "SubType"),
    # Payload sizes are policed by the runtime (per-operation and response limits), not the model.
    ("OperationUpdate", "Payload"),
    ("ExecutionDetails", "InputPayload"),
    ("ContextDetails", "Result"),
    ("StepDetails", "Result"),
    ("CallbackDetails", "Result"),
    ("ChainedInvokeDetails", "Result"),
    # Opaque values the service issues, or passes through to the chained function.
    ("CallbackDetails", "CallbackId"),
    ("ChainedInvokeOptions", "TenantId"),
    ("ChainedInvokeOptions", "XAmznTraceId"),
}

MUST_ENFORCE = {
    ("Operation", "Id"): (1, 64),
    ("Operation", "ParentId"): (1, 64),
    ("OperationUpdate", "Id"): (1, 64),
    ("OperationUpdate", "ParentId"): (1, 64),
    ("StepDetails", "Attempt"): (0, None),
    ("StepOptions", "NextAttemptDelaySeconds"): (1, 31_622_400),
    ("WaitOptions", "WaitSeconds"): (1, 31_622_400),
    ("CallbackOptions", "TimeoutSeconds"): (0, 99_999_999),
    ("CallbackOptions", "HeartbeatTimeoutSeconds"): (0, 99_999_999),
    ("ChainedInvokeOptions", "FunctionName"): (1, 256),
}


def _schema_limits(cls: type[WireModel], field: str) -> tuple[Any, Any]:
    """The (min, max) our model declares for ``field``, read from its JSON schema."""
    schema = cls.model_json_schema()["properties"][field]
    variants = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    (variant,) = variants
    if variant.get("type") == "string":
        return variant.get("minLength"), variant.get("maxLength")
    return variant.get("minimum"), variant.get("maximum")


def _botocore_limits() -> dict[tuple[str, str], tuple[Any, Any]]:
    limits = {}
    for shape_name in wire_classes():
        for name, member in structure(shape_name).members.items():
            if member.type_name in ("string", "integer") and (
                "min" in member.metadata or "max" in member.metadata
            ):
                limits[shape_name, name] = (member.metadata.get("min"), member.metadata.get("max"))
    return limits


def test_limits_we_enforce_are_the_limits_botocore_declares() -> None:
    botocore_limits = _botocore_limits()
    for key, expected in MUST_ENFORCE.items():
        assert botocore_limits[key] == expected, key
    for shape_name, cls in wire_classes().items():
        for name in cls.model_fields:
            declared = _schema_limits(cls, name)
            if declared != (None, None):
                assert declared == botocore_limits[shape_name, name], (shape_name, name)


def test_every_botocore_limit_is_enforced_or_listed() -> None:
    botocore_limits = _botocore_limits()
    assert set(UNENFORCED_LIMITS) <= set(botocore_limits)
    assert set(MUST_ENFORCE) == set(botocore_limits) - UNENFORCED_LIMITS
    for (shape_name, name), limits in botocore_limits.items():
        if (shape_name, name) not in UNENFORCED_LIMITS:
            assert _schema_limits(wire_classes()[shape_name], name) == limits, (shape_name, name)


@pytest.mark.parametrize(
    ("cls", "field", "rest"),
    [
        (OperationUpdate, "Id", {"Type": "STEP", "Action": "START"}),
        (OperationUpdate, "ParentId", {"Id": "a", "Type": "STEP", "Action": "START"}),
        (Operation, "Id", {"Type": "STEP", "Status": "STARTED", "StartTimestamp": T0}),
        (
            Operation,
            "ParentId",
            {"Id": "a", "Type": "STEP", "Status": "STARTED", "StartTimestamp": T0},
        ),
    ],
)
def test_ids_are_one_to_64_characters(
    cls: type[WireModel], field: str, rest: dict[str, Any]
) -> None:
    assert getattr(cls.model_validate({**rest, field: "x" * 64}), field) == "x" * 64
    for bad in ("", "x" * 65):
        with pytest.raises(pydantic.ValidationError, match=field):
            cls.model_validate({**rest, field: bad})


@pytest.mark.parametrize(
    ("cls", "field", "low", "high"),
    [
        (WaitOptions, "WaitSeconds", 1, 31_622_400),
        (StepOptions, "NextAttemptDelaySeconds", 1, 31_622_400),
        (CallbackOptions, "TimeoutSeconds", 0, 99_999_999),
        (CallbackOptions, "HeartbeatTimeoutSeconds", 0, 99_999_999),
    ],
)
def test_second_ranges_are_enforced(cls: type[WireModel], field: str, low: int, high: int) -> None:
    assert getattr(cls.model_validate({field: low}), field) == low
    assert getattr(cls.model_validate({field: high}), field) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(pydantic.ValidationError, match=field):
            cls.model_validate({field: bad})


# Realistic instances: every type, status, details and options variant.


def op(**fields: Any) -> Operation:
    return Operation.model_validate({"StartTimestamp": T0, **fields})


def step(status: OperationStatus, **details: Any) -> Operation:
    ended = {"EndTimestamp": T1} if status.is_terminal else {}
    return op(
        Id=STEP_ID,
        ParentId=CHILD_ID,
        Name="charge-card",
        Type=OperationType.STEP,
        SubType=OperationSubType.STEP,
        Status=status,
        StepDetails=StepDetails(**details),
        **ended,
    )


OPERATIONS: list[Operation] = [
    op(
        Id=EXECUTION_ID,
        Type=OperationType.EXECUTION,
        Status=OperationStatus.STARTED,
        ExecutionDetails=ExecutionDetails(InputPayload='{"orderId": 7}'),
    ),
    op(
        Id=EXECUTION_ID,
        Type=OperationType.EXECUTION,
        Status=OperationStatus.STOPPED,
        EndTimestamp=T2,
        ExecutionDetails=ExecutionDetails(InputPayload=""),
    ),
    step(OperationStatus.STARTED, Attempt=0),
    step(OperationStatus.PENDING, Attempt=1, NextAttemptTimestamp=T2, Error=BOOM),
    step(OperationStatus.READY, Attempt=1, NextAttemptTimestamp=T2, Error=BOOM),
    step(OperationStatus.SUCCEEDED, Attempt=2, Result='{"charged": true}'),
    step(OperationStatus.FAILED, Attempt=6, Error=BOOM),
    op(
        Id=STEP_ID,
        Name="cool-off",
        Type=OperationType.WAIT,
        SubType=OperationSubType.WAIT,
        Status=OperationStatus.STARTED,
        WaitDetails=WaitDetails(ScheduledEndTimestamp=T2),
    ),
    op(
        Id=STEP_ID,
        Type=OperationType.WAIT,
        SubType=OperationSubType.WAIT,
        Status=OperationStatus.CANCELLED,
        EndTimestamp=T1,
        WaitDetails=WaitDetails(ScheduledEndTimestamp=T2),
    ),
    op(
        Id=STEP_ID,
        Name="approval",
        Type=OperationType.CALLBACK,
        SubType=OperationSubType.CALLBACK,
        Status=OperationStatus.STARTED,
        CallbackDetails=CallbackDetails(CallbackId="Y2FsbGJhY2stMQ=="),
    ),
    op(
        Id=STEP_ID,
        Type=OperationType.CALLBACK,
        SubType=OperationSubType.WAIT_FOR_CALLBACK,
        Status=OperationStatus.TIMED_OUT,
        EndTimestamp=T2,
        CallbackDetails=CallbackDetails(
            CallbackId="Y2FsbGJhY2stMQ==",
            Error=ErrorObject(ErrorType="CallbackTimeout", ErrorMessage="timed out"),
        ),
    ),
    op(
        Id=CHILD_ID,
        Name="items",
        Type=OperationType.CONTEXT,
        SubType=OperationSubType.MAP,
        Status=OperationStatus.SUCCEEDED,
        EndTimestamp=T1,
        ContextDetails=ContextDetails(ReplayChildren=True, Result='{"count": 3}'),
    ),
    op(
        Id=CHILD_ID,
        Type=OperationType.CONTEXT,
        SubType=OperationSubType.PARALLEL_BRANCH,
        Status=OperationStatus.FAILED,
        EndTimestamp=T1,
        ContextDetails=ContextDetails(ReplayChildren=False, Error=BOOM),
    ),
    op(
        Id=STEP_ID,
        Name="bill",
        Type=OperationType.CHAINED_INVOKE,
        SubType=OperationSubType.CHAINED_INVOKE,
        Status=OperationStatus.SUCCEEDED,
        EndTimestamp=T1,
        ChainedInvokeDetails=ChainedInvokeDetails(Result='"paid"'),
    ),
    op(
        Id=STEP_ID,
        Type=OperationType.CHAINED_INVOKE,
        SubType=OperationSubType.CHAINED_INVOKE,
        Status=OperationStatus.FAILED,
        EndTimestamp=T1,
        ChainedInvokeDetails=ChainedInvokeDetails(Error=BOOM),
    ),
]


def update(type_: OperationType, action: OperationAction, **fields: Any) -> OperationUpdate:
    return OperationUpdate.model_validate(
        {"Id": STEP_ID, "Type": type_, "Action": action, **fields}
    )


UPDATES: list[OperationUpdate] = [
    update(OperationType.STEP, OperationAction.START, Name="charge-card", SubType="Step"),
    update(
        OperationType.STEP,
        OperationAction.RETRY,
        Error=BOOM,
        StepOptions=StepOptions(NextAttemptDelaySeconds=5),
    ),
    # wait_for_condition's "keep polling": state in the payload, no error.
    update(
        OperationType.STEP,
        OperationAction.RETRY,
        SubType="WaitForCondition",
        Payload='{"polls": 2}',
        StepOptions=StepOptions(NextAttemptDelaySeconds=31_622_400),
    ),
    update(OperationType.STEP, OperationAction.SUCCEED, Payload='{"charged": true}'),
    update(OperationType.STEP, OperationAction.FAIL, Error=BOOM),
    update(
        OperationType.WAIT,
        OperationAction.START,
        SubType="Wait",
        WaitOptions=WaitOptions(WaitSeconds=1),
    ),
    update(OperationType.WAIT, OperationAction.CANCEL),
    update(
        OperationType.CALLBACK,
        OperationAction.START,
        Name="approval",
        SubType="Callback",
        CallbackOptions=CallbackOptions(TimeoutSeconds=3600, HeartbeatTimeoutSeconds=0),
    ),
    update(
        OperationType.CONTEXT,
        OperationAction.START,
        ParentId=CHILD_ID,
        Name="map-item-0",
        SubType="MapIteration",
    ),
    update(
        OperationType.CONTEXT,
        OperationAction.SUCCEED,
        Payload='{"summary": true}',
        ContextOptions=ContextOptions(ReplayChildren=True),
    ),
    update(OperationType.CONTEXT, OperationAction.FAIL, Error=ErrorObject(ErrorMessage="no")),
    update(
        OperationType.CHAINED_INVOKE,
        OperationAction.START,
        Name="bill",
        SubType="ChainedInvoke",
        Payload='{"amount": 5}',
        ChainedInvokeOptions=ChainedInvokeOptions(
            FunctionName="arn:aws:lambda:us-east-1:123456789012:function:billing:live",
            TenantId="tenant-1",
        ),
    ),
    update(OperationType.EXECUTION, OperationAction.SUCCEED, Id=EXECUTION_ID, Payload="x" * 10),
    update(OperationType.EXECUTION, OperationAction.FAIL, Id=EXECUTION_ID, Error=BOOM),
]


def test_instances_cover_every_variant() -> None:
    assert {o.Type for o in OPERATIONS} == set(OperationType)
    assert {o.Status for o in OPERATIONS} == set(OperationStatus)
    assert {u.Type for u in UPDATES} == set(OperationType)
    assert {u.Action for u in UPDATES} == set(OperationAction)
    details = {n for n in Operation.model_fields if n.endswith("Details")}
    assert details == {n for o in OPERATIONS for n in details if getattr(o, n) is not None}
    options = {n for n in OperationUpdate.model_fields if n.endswith("Options")}
    assert options == {n for u in UPDATES for n in options if getattr(u, n) is not None}


def checkpoint_request(updates: list[OperationUpdate]) -> dict[str, Any]:
    return {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "dG9rZW4tMQ==",
        "Updates": [u.to_wire() for u in updates],
        "ClientToken": "2b6f0cc9-04f5-4bb4-8c2c-3e6a5c7d9e10",
    }


def assert_valid(params: Mapping[str, Any], shape: Shape) -> None:
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()


def test_updates_pass_botocores_checkpoint_request_validator() -> None:
    assert_valid(checkpoint_request(UPDATES), checkpoint_input())


def test_botocores_validator_rejects_a_dump_with_nulls() -> None:
    # Shows the validator is really checking: without exclude_none a dump is not a valid request.
    request = checkpoint_request(UPDATES[:1])
    request["Updates"] = [UPDATES[0].model_dump(mode="json")]
    report = ParamValidator().validate(request, checkpoint_input())
    assert report.has_errors()
    assert "ParentId" in report.generate_report()


@pytest.mark.parametrize("upd", UPDATES, ids=lambda u: f"{u.Type}-{u.Action}")
def test_update_round_trips_through_the_wire(upd: OperationUpdate) -> None:
    wire = upd.to_wire()
    assert all(value is not None for value in wire.values())
    json.dumps(wire)  # JSON-ready: no enums, tuples or datetimes left
    assert OperationUpdate.model_validate(wire) == upd
    assert OperationUpdate.model_validate_json(json.dumps(wire)) == upd


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.Type}-{o.Status}")
def test_operation_round_trips_and_validates_against_botocore(operation: Operation) -> None:
    # botocore validates timestamps as datetimes, so check the Python-mode dump against the shape.
    assert_valid(operation.model_dump(exclude_none=True), structure("Operation"))
    wire = operation.to_wire()
    assert isinstance(wire["StartTimestamp"], int)
    assert wire["StartTimestamp"] == 1_767_268_800_123
    parsed = Operation.model_validate(wire)
    assert parsed == operation
    assert parsed.StartTimestamp.tzinfo is not None
    assert Operation.model_validate_json(json.dumps(wire)) == operation


def test_stack_trace_reads_back_as_a_tuple() -> None:
    parsed = ErrorObject.model_validate({"StackTrace": ["a", "b"]})
    assert parsed.StackTrace == ("a", "b")
    assert parsed.to_wire() == {"StackTrace": ["a", "b"]}


def _rest_json_body(operations: list[Operation]) -> bytes:
    """A GetDurableExecutionState response body as the service sends it (epoch seconds)."""
    rendered = []
    for operation in operations:
        wire = operation.to_wire()
        for key in ("StartTimestamp", "EndTimestamp"):
            if key in wire:
                wire[key] = wire[key] / 1000
        for details in wire.values():
            if isinstance(details, dict):
                for key in ("NextAttemptTimestamp", "ScheduledEndTimestamp"):
                    if key in details:
                        details[key] = details[key] / 1000
        rendered.append(wire)
    return json.dumps({"Operations": rendered, "NextMarker": "m-2"}).encode()


def test_boto3_response_and_invocation_input_parse_to_the_same_operations() -> None:
    output_shape = lambda_model().operation_model("GetDurableExecutionState").output_shape
    assert output_shape is not None
    http_response = {"status_code": 200, "headers": {}, "body": _rest_json_body(OPERATIONS)}
    boto3_style = create_parser("rest-json").parse(http_response, output_shape)
    assert isinstance(boto3_style["Operations"][0]["StartTimestamp"], datetime)

    from_boto3 = ExecutionState.model_validate(boto3_style)
    invocation_style = {"Operations": [o.to_wire() for o in OPERATIONS], "NextMarker": "m-2"}
    from_input = ExecutionState.model_validate(invocation_style)

    assert from_boto3 == from_input
    assert list(from_boto3.Operations) == OPERATIONS
    assert from_boto3.NextMarker == "m-2"


def test_iso_strings_read_as_the_same_instant() -> None:
    parsed = op(Id="a", Type="WAIT", Status="STARTED", StartTimestamp="2026-01-01T12:00:00.123Z")
    assert parsed.StartTimestamp == T0


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    wire = {**OPERATIONS[0].to_wire(), "SomeFutureField": {"x": 1}}
    assert Operation.model_validate(wire) == OPERATIONS[0]


def test_models_are_frozen() -> None:
    operation = OPERATIONS[5]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        operation.Status = OperationStatus.FAILED  # type: ignore[misc]
    assert operation.StepDetails is not None
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        operation.StepDetails.Result = "tampered"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        UPDATES[0].Action = OperationAction.FAIL  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        BOOM.ErrorMessage = "other"  # type: ignore[misc]
    assert operation.Status is OperationStatus.SUCCEEDED


def test_result_and_error_are_read_from_the_types_own_details() -> None:
    by_type = {(o.Type, o.Status): o for o in OPERATIONS}
    assert by_type[OperationType.STEP, OperationStatus.SUCCEEDED].result_payload == (
        '{"charged": true}'
    )
    assert by_type[OperationType.CONTEXT, OperationStatus.FAILED].error == BOOM
    assert by_type[OperationType.CHAINED_INVOKE, OperationStatus.SUCCEEDED].result_payload == (
        '"paid"'
    )
    callback = by_type[OperationType.CALLBACK, OperationStatus.TIMED_OUT]
    assert callback.error is not None
    assert callback.error.ErrorType == "CallbackTimeout"
    # A details block of another type is not mistaken for the operation's own outcome.
    mixed = OPERATIONS[2].model_copy(update={"ContextDetails": ContextDetails(Result="no")})
    assert mixed.result_payload is None
    assert OPERATIONS[0].result_payload is None
    assert OPERATIONS[0].error is None
