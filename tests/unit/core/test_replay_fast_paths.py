"""The shortcuts on the replay path give exactly what the long way gives, odd inputs included.

* ``parse_json`` calls the JSON scanner directly and falls back to ``json.loads``;
* ``read_payload`` looks for an envelope without a helper call;
* ``reads_plainly`` lets ``ExecutionRuntime.read`` skip the serializer's context for any plain
  ``JsonSerDes`` or ``EnvelopeSerDes``, not only ``DEFAULT_SERDES``;
* ``OperationIdSequence`` keeps the hasher of a child context's prefix;
* a replayed step reads its result without the rest of the step's machinery.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from acknowledging_service import AcknowledgingService
from aws_durable_execution_sdk_python.identifier import OperationIdNamespace
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import StepConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.envelope import _DECODERS, _decode, parse_json, read_payload
from durable_lambda.core.errors import SerDesError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.ids import OperationIdSequence, operation_id
from durable_lambda.core.model import (
    InvocationOutput,
    InvocationStatus,
)
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import ExecutionRuntime, RuntimeOptions
from durable_lambda.core.serdes import (
    DEFAULT_SERDES,
    EnvelopeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    deserialize,
    reads_plainly,
)
from durable_lambda.core.state import DurableState

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"

ODD_TEXTS: list[Any] = [
    "1",
    " 1",
    "1 ",
    "\n1\n",
    "\t{}",
    "\ufeff1",
    "",
    " ",
    "1 2",
    "[1,]",
    "{",
    "nul",
    "null",
    "true",
    "NaN",
    "-Infinity",
    "-0",
    "1e400",
    "123456789012345678901234567890",
    '"\\ud800"',
    '"caf\u00e9"',
    '{"a": 1, "a": 2}',
    '{"t": "i", "v": 3}',
    "[" * 100_000,
    "[" * 50 + "]" * 50,
    b"1",
    b" [1] ",
    b"\xef\xbb\xbf1",
    bytearray(b"2"),
    "1\x00",
]


def _outcome(parse: Any, text: Any) -> tuple[str, Any]:
    try:
        return "value", parse(text)
    except RecursionError:
        return "raised", "RecursionError"
    except Exception as error:
        return "raised", (type(error), str(error))


def _same(left: Any, right: Any) -> bool:
    # NaN != NaN: compare the JSON text of what came back (repr keeps -0.0 apart from 0.0).
    return repr(left) == repr(right)


@pytest.mark.parametrize("text", ODD_TEXTS, ids=lambda text: repr(text)[:24])
def test_parse_json_returns_and_raises_what_json_loads_does(text: Any) -> None:
    assert _same(_outcome(parse_json, text), _outcome(json.loads, text))


json_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
)


@given(json_data)
def test_parse_json_reads_back_whatever_json_writes(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=1), f" {json.dumps(value)}\n"):
        assert _same(parse_json(text), json.loads(text))


@given(st.text(max_size=20))
def test_parse_json_agrees_with_json_loads_on_any_text(text: str) -> None:
    assert _same(_outcome(parse_json, text), _outcome(json.loads, text))


def _read_payload_the_long_way(payload: str) -> Any:
    # read_payload before its shortcuts: json.loads, then the helper's envelope test.
    data = json.loads(payload)
    if (
        isinstance(data, dict)
        and len(data) == 2
        and "t" in data
        and "v" in data
        and isinstance(data["t"], str)
        and data["t"] in _DECODERS
    ):
        return _decode(data["t"], data["v"])
    return data


@pytest.mark.parametrize(
    "payload",
    [
        "1",
        '"s"',
        "null",
        "[1, 2]",
        "{}",
        '{"t": "i", "v": 3}',
        ' {"t":"i","v":3} ',
        '{"t": "zz", "v": 3}',
        '{"t": 1, "v": 3}',
        '{"t": null, "v": 3}',
        '{"t": "i", "v": 3, "x": 1}',
        '{"t": "i"}',
        '{"t": "i", "w": 3}',
        '{"v": 3, "t": "l"}',
        '{"t": "i", "v": "3"}',
        '{"t": "B", "v": "!!"}',
        '{"t": "u", "v": 5}',
        '{"t": "m", "v": {"a": {"t": "dt", "v": "2026-01-01T00:00:00+00:00"}}}',
        '[{"t": "i", "v": 3}]',
        "{bad",
        "\ufeff{}",
    ],
)
def test_read_payload_reads_every_payload_as_it_did(payload: str) -> None:
    assert _same(_outcome(read_payload, payload), _outcome(_read_payload_the_long_way, payload))


class _Subclass(JsonSerDes[Any]):
    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        return ("mine", payload)


class _Own:
    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        return json.dumps(value)

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        return ("own", payload)


@pytest.mark.parametrize(
    ("serdes", "plain"),
    [
        (DEFAULT_SERDES, True),
        (JsonSerDes(), True),
        (EnvelopeSerDes(), True),
        (JsonSerDes(result_type=int), False),
        (EnvelopeSerDes(result_type=int), False),
        (_Subclass(), False),
        (PassThroughSerDes(), False),
        (_Own(), False),
        (None, False),
    ],
    ids=repr,
)
def test_only_the_standard_serializers_without_a_type_read_plainly(
    serdes: object, plain: bool
) -> None:
    assert reads_plainly(serdes) is plain


def test_the_plain_readers_share_the_reading_the_shortcut_copies() -> None:
    # reads_plainly relies on it: both read with _StandardSerDes.deserialize (read_payload).
    from durable_lambda.core.serializers import _StandardSerDes

    assert JsonSerDes.deserialize is _StandardSerDes.deserialize
    assert EnvelopeSerDes.deserialize is _StandardSerDes.deserialize


def _invocation_of(*operations: dict[str, Any]) -> Any:
    """The invocation input of a started execution whose state holds ``operations`` too."""
    execution = {
        "Id": "abc",
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": 1_767_225_600_000,
    }
    return parse_invocation_input(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "t0",
            "InitialExecutionState": {"Operations": [execution, *operations]},
        }
    )


def _runtime() -> ExecutionRuntime:
    invocation = _invocation_of()
    state = DurableState(ARN, invocation.InitialExecutionState.Operations)
    service = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    checkpointer = Checkpointer(service, state, "t0", RuntimeOptions().checkpoint_mode)
    return ExecutionRuntime(
        state=state,
        checkpointer=checkpointer,
        serdes=DEFAULT_SERDES,
        clock=FakeClock(),
        random=random.Random(0),
        logger=NullLogger(),
        options=RuntimeOptions(),
    )


READ_PAYLOADS = [
    "1",
    ' "x" ',
    '{"t":"t","v":[{"t":"i","v":1}]}',
    '{"t":"zz","v":1}',
    "{bad",
    "",
    '{"t":"i","v":"3"}',
    '{"t":"B","v":"!!"}',
    "[" * 100_000,
]


@pytest.mark.parametrize("payload", READ_PAYLOADS, ids=lambda text: repr(text)[:24])
@pytest.mark.parametrize("serdes", [DEFAULT_SERDES, JsonSerDes(), EnvelopeSerDes()], ids=repr)
def test_the_runtime_reads_any_plain_serializer_as_its_deserialize_does(
    serdes: SerDes[Any], payload: str
) -> None:
    runtime = _runtime()
    context = SerDesContext(operation_id="op-1", durable_execution_arn=ARN)
    expected = _outcome(lambda text: deserialize(serdes, text, context), payload)

    got = _outcome(lambda text: runtime.read(serdes, text, "op-1"), payload)

    assert _same(got, expected)
    if expected[0] == "raised":  # an unreadable stored payload is terminal, as before
        assert isinstance(runtime.state.fatal_error, SerDesError)
        assert runtime.state.fatal_error.operation_id == "op-1"
    else:
        assert runtime.state.fatal_error is None


@pytest.mark.parametrize(
    "parent", [None, "", "1ced8f5be2db23a6" * 4, "abc", "x-1", "naïve", "a" * 200]
)
def test_an_id_sequence_gives_the_official_ids(parent: str | None) -> None:
    official = OperationIdNamespace(prefix=parent)
    sequence = OperationIdSequence(parent)

    ids = [sequence.next_id() for _ in range(300)]

    assert ids == [official.create_id_for_step(position) for position in range(1, 301)]
    assert ids == [operation_id(parent, position) for position in range(1, 301)]
    assert sequence.taken == 300
    assert sequence.parent_id == parent


def test_the_parent_of_an_id_sequence_cannot_be_changed_under_its_kept_hasher() -> None:
    sequence = OperationIdSequence("abc")
    sequence.next_id()
    with pytest.raises(AttributeError):
        sequence.parent_id = "other"  # type: ignore[misc]


# A replayed step, through run_invocation with a serializer instance of its own.


def _invocation(step_result: str | None, name: str = "s0", status: str = "SUCCEEDED") -> Any:
    details: dict[str, Any] = {"Attempt": 1}
    if step_result is not None:
        details["Result"] = step_result
    return _invocation_of(
        {
            "Id": operation_id(None, 1),
            "Type": "STEP",
            "SubType": "Step",
            "Name": name,
            "Status": status,
            "StartTimestamp": 1_767_225_600_000,
            "StepDetails": details,
        }
    )


async def _replay(invocation: Any, serdes: SerDes[Any], config: StepConfig | None = None) -> Any:
    runs: list[int] = []

    async def body(step: Any) -> Any:
        runs.append(1)
        return "ran"

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.step(body, name="s0", config=config)

    return await _run(handler, invocation, serdes), runs


async def _run(handler: Any, invocation: Any, serdes: SerDes[Any]) -> InvocationOutput:
    """Run one invocation against a service that acknowledges every checkpoint."""
    return await run_invocation(
        handler,
        invocation,
        service=AcknowledgingService(),
        serdes=serdes,
        clock=FakeClock(),
        random=random.Random(0),
        logger=NullLogger(),
        options=RuntimeOptions(),
    )


@pytest.mark.parametrize(
    ("stored", "result"),
    [
        ('{"a":[1,2]}', '{"a": [1, 2]}'),
        ('{"t":"t","v":[{"t":"i","v":1}]}', "[1]"),
        (None, "null"),
        (" 7 ", "7"),
    ],
)
@pytest.mark.parametrize("serdes", [DEFAULT_SERDES, JsonSerDes(), EnvelopeSerDes()], ids=repr)
async def test_a_replayed_step_returns_its_stored_result_without_running(
    serdes: SerDes[Any], stored: str | None, result: str
) -> None:
    output, runs = await _replay(_invocation(stored), serdes)

    assert runs == []
    assert output.Status is InvocationStatus.SUCCEEDED
    assert output.Result == result


@pytest.mark.parametrize("serdes", [DEFAULT_SERDES, JsonSerDes(), EnvelopeSerDes()], ids=repr)
async def test_an_unreadable_replayed_result_fails_the_execution(serdes: SerDes[Any]) -> None:
    output, runs = await _replay(_invocation("{not json"), serdes)

    assert runs == []
    assert output.Status is InvocationStatus.FAILED
    assert output.Error is not None
    assert output.Error.ErrorType == "SerDesError"
    assert "cannot deserialize payload" in (output.Error.ErrorMessage or "")


async def test_a_replayed_step_uses_its_configured_serializer() -> None:
    config = StepConfig(serdes=_Subclass())
    output, runs = await _replay(_invocation("5"), JsonSerDes(), config)

    assert runs == []
    assert output.Result == '["mine", "5"]'


async def test_a_renamed_replayed_step_is_still_non_deterministic() -> None:
    output, runs = await _replay(_invocation("1", name="other"), JsonSerDes())

    assert runs == []
    assert output.Status is InvocationStatus.FAILED
    assert output.Error is not None
    assert output.Error.ErrorType == "NonDeterministicExecutionError"


@pytest.mark.parametrize("status", ["STARTED", "READY"])
async def test_a_step_that_did_not_succeed_runs_its_body_again(status: str) -> None:
    output, runs = await _replay(_invocation(None, status=status), JsonSerDes())

    assert runs == [1]
    assert output.Status is InvocationStatus.SUCCEEDED
    assert output.Result == '"ran"'


# A step's first run reads its result back as replay will, through the same shortcut.


class _Point(BaseModel):
    x: int


@pytest.mark.parametrize(
    ("value", "read_back"),
    [
        ((1, 2), (1, 2)),
        ({"a": [1, None]}, {"a": [1, None]}),
        (_Point(x=3), {"x": 3}),
        ({"t": "i", "v": 3}, {"t": "i", "v": 3}),
        (float("inf"), float("inf")),
    ],
    ids=repr,
)
@pytest.mark.parametrize("serdes", [DEFAULT_SERDES, JsonSerDes(), EnvelopeSerDes()], ids=repr)
async def test_a_first_run_step_returns_what_its_replay_will(
    serdes: SerDes[Any], value: Any, read_back: Any
) -> None:
    returned: list[Any] = []

    async def body(step: Any) -> Any:
        return value

    async def handler(event: Any, ctx: DurableContext) -> None:
        returned.append(await ctx.step(body, name="s0", config=StepConfig(serdes=serdes)))

    context = SerDesContext(operation_id=operation_id(None, 1), durable_execution_arn=ARN)
    output = await _run(handler, _invocation_of(), JsonSerDes())

    assert output.Status is InvocationStatus.SUCCEEDED
    assert _same(returned, [read_back])
    payload = serdes.serialize(value, context)
    assert _same(returned, [deserialize(serdes, payload, context)])


# A completed child context replays from the invocation input's dicts as it did from models.


def _context_invocation(**details: Any) -> Any:
    return _invocation_of(
        {
            "Id": operation_id(None, 1),
            "Type": "CONTEXT",
            "SubType": "RunInChildContext",
            "Name": "child",
            "Status": "SUCCEEDED",
            "StartTimestamp": 1_767_225_600_000,
            "ContextDetails": details,
        },
        {
            "Id": operation_id(operation_id(None, 1), 1),
            "ParentId": operation_id(None, 1),
            "Type": "STEP",
            "SubType": "Step",
            "Name": "inner",
            "Status": "SUCCEEDED",
            "StartTimestamp": 1_767_225_600_000,
            "StepDetails": {"Result": "[1, 2]"},
        },
    )


async def _replay_child(invocation: Any) -> tuple[InvocationOutput, list[str]]:
    runs: list[str] = []

    async def inner(step: Any) -> Any:
        runs.append("inner")
        return [9]

    async def child(ctx: DurableContext) -> Any:
        runs.append("child")
        return await ctx.step(inner, name="inner")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.run_in_child_context(child, name="child")

    return await _run(handler, invocation, JsonSerDes()), runs


async def test_a_completed_child_context_returns_its_stored_result_without_running() -> None:
    output, runs = await _replay_child(_context_invocation(Result='{"kept": 1}'))
    assert runs == []
    assert output.Result == '{"kept": 1}'


async def test_a_child_context_that_replays_its_children_rebuilds_its_result() -> None:
    output, runs = await _replay_child(_context_invocation(ReplayChildren=True, Result="summary"))
    assert runs == ["child"]  # the function runs again; its step is replayed, not run
    assert output.Result == "[1, 2]"
