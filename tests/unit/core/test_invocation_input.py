"""Malformed invocation inputs end in our own typed errors, never a bare KeyError or TypeError.

``parse_invocation_input`` is the edge where Lambda's event enters: anything that is not a durable
invocation input is a ``ValidationError`` naming the field. What parses but cannot run (no
EXECUTION operation, an input payload that is not JSON) is an ``ExecutionError``, raised by
``run_invocation`` or returned as a FAILED output.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ExecutionError, ValidationError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import (
    InvocationInput,
    InvocationOutput,
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"
EXECUTION_OP: dict[str, Any] = {
    "Id": "abc",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": 1_767_225_600_000,
    "ExecutionDetails": {"InputPayload": '{"orderId": 7}'},
}
STEP_OP: dict[str, Any] = {
    "Id": "c4ca4238a0b923820dcc509a6f75849b",
    "Type": "STEP",
    "SubType": "Step",
    "Name": "charge",
    "Status": "SUCCEEDED",
    "StartTimestamp": 1_767_225_600_000,
    "StepDetails": {"Attempt": 1, "Result": '"ok"'},
}


def valid_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "dG9rZW4=",
        "InitialExecutionState": {"Operations": [EXECUTION_OP], "NextMarker": ""},
    }
    event.update(overrides)
    return event


def without(key: str) -> dict[str, Any]:
    event = valid_event()
    del event[key]
    return event


def parse_error(event: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_invocation_input(event)
    return caught.value


# parse_invocation_input


def test_a_valid_event_parses_as_dict_text_or_bytes() -> None:
    event = valid_event()
    parsed = parse_invocation_input(event)
    assert parsed.DurableExecutionArn == ARN
    assert parsed.InitialExecutionState.Operations[0].Type is OperationType.EXECUTION
    assert parse_invocation_input(json.dumps(event)) == parsed
    assert parse_invocation_input(json.dumps(event).encode()) == parsed


@pytest.mark.parametrize(
    "field", ["DurableExecutionArn", "CheckpointToken", "InitialExecutionState"]
)
def test_a_missing_field_is_named(field: str) -> None:
    error = parse_error(without(field))
    assert error.field == field
    assert f"{field}: Field required" in str(error)


def test_every_missing_field_is_named_at_once() -> None:
    error = parse_error({"DurableExecutionArn": ARN})
    assert "CheckpointToken: Field required" in str(error)
    assert "InitialExecutionState: Field required" in str(error)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (valid_event(CheckpointToken=12345), "CheckpointToken"),
        (valid_event(CheckpointToken=""), "CheckpointToken"),
        (valid_event(DurableExecutionArn=["arn"]), "DurableExecutionArn"),
        (valid_event(InitialExecutionState=[EXECUTION_OP]), "InitialExecutionState"),
        (
            valid_event(InitialExecutionState={"Operations": "EXECUTION"}),
            "InitialExecutionState.Operations",
        ),
        (
            valid_event(InitialExecutionState={"Operations": [["EXECUTION"]]}),
            "InitialExecutionState.Operations.0",
        ),
        (
            valid_event(InitialExecutionState={"Operations": [{**EXECUTION_OP, "Status": "DONE"}]}),
            "InitialExecutionState.Operations.0.Status",
        ),
        (
            valid_event(InitialExecutionState={"Operations": [{"Id": "abc", "Type": "STEP"}]}),
            "InitialExecutionState.Operations.0.StartTimestamp",
        ),
    ],
)
def test_a_wrongly_typed_field_is_named(event: dict[str, Any], field: str) -> None:
    error = parse_error(event)
    assert error.field == field
    assert str(error).startswith("malformed durable invocation input: ")
    assert field in str(error)


@pytest.mark.parametrize("event", [[valid_event()], None, 42, "[1, 2]", b'"text"'])
def test_an_event_that_is_not_an_object_says_what_it_got(event: object) -> None:
    error = parse_error(event)
    assert error.field == "event"
    assert "must be a JSON object with DurableExecutionArn" in str(error)
    assert "Is this function configured as a durable function?" in str(error)


@pytest.mark.parametrize(
    "text", ["not json", '{"DurableExecutionArn": ', b"\xff\xfe\x00garbage", "[" * 100_000]
)
def test_text_that_is_not_json_is_a_validation_error(text: str | bytes) -> None:
    error = parse_error(text)
    assert error.field == "event"
    assert "the invocation input is not valid JSON" in str(error)


# Arbitrary values: only our ValidationError ever escapes.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | json_values


operation_like = st.fixed_dictionaries(
    {},
    optional={
        "Id": _maybe(st.text(min_size=1, max_size=70)),
        "ParentId": _maybe(st.text(max_size=70)),
        "Type": _maybe(st.sampled_from([t.value for t in OperationType])),
        "Status": _maybe(st.sampled_from([s.value for s in OperationStatus])),
        "StartTimestamp": _maybe(st.integers(min_value=-(2**63), max_value=2**63)),
        "EndTimestamp": _maybe(st.datetimes().map(str)),
        "ExecutionDetails": _maybe(
            st.fixed_dictionaries({}, optional={"InputPayload": json_values})
        ),
        "StepDetails": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "Attempt": json_values,
                    "NextAttemptTimestamp": json_values,
                    "Error": _maybe(
                        st.fixed_dictionaries({}, optional={"StackTrace": json_values})
                    ),
                },
            )
        ),
        "WaitDetails": _maybe(
            st.fixed_dictionaries({}, optional={"ScheduledEndTimestamp": json_values})
        ),
    },
)

invocation_like = st.fixed_dictionaries(
    {},
    optional={
        "DurableExecutionArn": _maybe(st.text(max_size=30)),
        "CheckpointToken": _maybe(st.text(max_size=30)),
        "InitialExecutionState": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "Operations": _maybe(st.lists(operation_like, max_size=3)),
                    "NextMarker": json_values,
                },
            )
        ),
    },
)

any_event = (
    json_values
    | invocation_like
    | invocation_like.map(json.dumps)
    | st.text(max_size=50)
    | st.binary(max_size=50)
)


def _assert_only_validation_errors(event: object) -> None:
    error: ValidationError | None = None
    parsed: InvocationInput | None = None
    try:
        parsed = parse_invocation_input(event)
    except ValidationError as raised:
        error = raised
    if error is not None:
        assert error.field
        assert error.message
    else:
        assert isinstance(parsed, InvocationInput)
        assert parsed.DurableExecutionArn
        assert parsed.CheckpointToken


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(any_event)
def test_arbitrary_events_raise_only_validation_errors(event: object) -> None:
    _assert_only_validation_errors(event)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(sorted(EXECUTION_OP)), json_values))
def test_arbitrary_execution_operation_fields_raise_only_validation_errors(
    fields: dict[str, Any],
) -> None:
    operation = {**EXECUTION_OP, **fields}
    _assert_only_validation_errors(valid_event(InitialExecutionState={"Operations": [operation]}))


# run_invocation: parses, but cannot run.


async def _run(
    invocation: InvocationInput,
    handler: Callable[[Any, DurableContext], Any],
    service: LocalDurableService | None = None,
) -> InvocationOutput:
    return await run_invocation(
        handler,
        invocation,
        service=service or LocalDurableService(InMemoryExecutionStore(), FakeClock()),
        serdes=JsonSerDes(),
        clock=FakeClock(),
        random=random.Random(0),
        logger=NullLogger(),
        options=RuntimeOptions(),
    )


class Recorder:
    """A handler that records the events it was called with."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    async def __call__(self, event: Any, ctx: DurableContext) -> Any:
        self.events.append(event)
        return {"seen": event}


async def _invocation_for(input_payload: str) -> tuple[LocalDurableService, InvocationInput]:
    service = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    arn = await service.start_execution("orders", input_payload)
    return service, await service.invocation_input(arn)


@pytest.mark.parametrize("payload", ["{not json", '{"a": 1', "[" * 100_000])
async def test_a_non_json_input_payload_fails_the_execution(payload: str) -> None:
    service, invocation = await _invocation_for(payload)
    handler = Recorder()

    output = await _run(invocation, handler, service)

    assert handler.events == []
    assert output.Status is InvocationStatus.FAILED
    assert output.Result is None
    assert output.Error is not None
    assert output.Error.ErrorType == "ExecutionError"
    assert output.Error.ErrorMessage is not None
    assert "the execution's input payload is not valid JSON" in output.Error.ErrorMessage


@pytest.mark.parametrize("payload", ["", "   "])
async def test_an_empty_input_payload_is_an_empty_event(payload: str) -> None:
    service, invocation = await _invocation_for(payload)
    handler = Recorder()
    output = await _run(invocation, handler, service)
    assert handler.events == [{}]
    assert output.Status is InvocationStatus.SUCCEEDED
    assert output.Result == '{"seen": {}}'


async def test_an_empty_initial_state_is_an_execution_error() -> None:
    handler = Recorder()
    for state in ({}, {"Operations": [], "NextMarker": ""}):
        invocation = parse_invocation_input(valid_event(InitialExecutionState=state))
        with pytest.raises(ExecutionError, match="holds no EXECUTION operation") as caught:
            await _run(invocation, handler)
        assert caught.value.execution_arn == ARN
        assert ARN in caught.value.describe()  # str() is the message alone
    assert handler.events == []


async def test_a_state_without_an_execution_operation_is_an_execution_error() -> None:
    invocation = parse_invocation_input(
        valid_event(InitialExecutionState={"Operations": [STEP_OP], "NextMarker": ""})
    )
    handler = Recorder()
    with pytest.raises(ExecutionError, match="holds no EXECUTION operation"):
        await _run(invocation, handler)
    assert handler.events == []


async def test_the_execution_operation_is_found_by_type_not_position() -> None:
    # The official SDK looks the EXECUTION operation up by id rather than by position; a page
    # that lists another operation first still runs, with the EXECUTION operation's input.
    service, started = await _invocation_for('{"orderId": 7}')
    wire = started.to_wire()
    wire["InitialExecutionState"]["Operations"].insert(0, {**STEP_OP, "Status": "STARTED"})
    handler = Recorder()

    output = await _run(parse_invocation_input(wire), handler, service)

    assert handler.events == [{"orderId": 7}]
    assert output.Status is InvocationStatus.SUCCEEDED
