"""JSON text: non-ASCII written as UTF-8, sizes counted in UTF-8 bytes, long ints refused clearly.

* The service limits a payload's UTF-8 bytes (256 KiB an operation). Written as ``\\u`` escapes,
  an accented letter took six bytes instead of two and an emoji twelve instead of four, so such
  text reached the limit 3 to 6 times sooner. Payloads are now written as UTF-8 text, except for
  a lone surrogate (which UTF-8 cannot carry); what the official SDK writes (escapes) still reads.
* Every check of a payload against the limit counts UTF-8 bytes, not characters: a child
  context's or a map's result of 70,000 emoji (280 KB) was taken for 70 KB and sent whole, and
  the service refused it.
* An integer of more than 4,300 digits (Python's limit for converting an int to or from text)
  is a ``SerDesError`` that names the limit, wherever it is written or read; before, a bare
  ``ValueError`` escaped from some paths.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from acknowledging_service import AcknowledgingService
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes

from durable_lambda import DurableContext, EnvelopeSerDes, JsonSerDes, MapConfig, StepContext
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.core.errors import SerDesError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import (
    CheckpointResponse,
    InvocationOutput,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import deserialize, payload_size, serialize
from durable_lambda.testing import DurableTestRunner

CTX = SerDesContext("op-1", "arn:aws:lambda:exec/1")
OFFICIAL: Any = ExtendedTypeSerDes()  # type: ignore[no-untyped-call]
TEXT = {"name": "Zoë Ångström", "note": "café 😀 naïve", "tags": ["élan", "🎉"]}
HUGE = 10**5000  # 5,001 digits: past Python's 4,300-digit limit for int <-> text
SERDES = [JsonSerDes(), EnvelopeSerDes()]


# region writing and reading


@pytest.mark.parametrize("serdes", SERDES, ids=["json", "envelope"])
def test_non_ascii_text_is_written_as_utf8_and_reads_back(serdes: Any) -> None:
    payload = serdes.serialize(TEXT, CTX)

    assert "Zoë Ångström" in payload
    assert "😀" in payload
    assert "\\u" not in payload
    assert serdes.deserialize(payload, CTX) == TEXT
    # Four bytes an emoji and two an accented letter, where escapes took twelve and six.
    assert payload_size(serdes.serialize("😀" * 1000, CTX)) == 4002
    assert payload_size(serdes.serialize("é" * 1000, CTX)) == 2002


def test_what_envelope_serdes_writes_the_official_sdk_reads() -> None:
    value = {"text": "café 😀", "when": (1, "é")}
    assert OFFICIAL.deserialize(EnvelopeSerDes().serialize(value, CTX)) == value


@pytest.mark.parametrize("serdes", SERDES, ids=["json", "envelope"])
def test_escaped_payloads_of_the_official_sdk_still_read(serdes: Any) -> None:
    escaped = OFFICIAL.serialize(TEXT)
    assert "\\u00eb" in escaped

    assert serdes.deserialize(escaped, CTX) == TEXT


@pytest.mark.parametrize("serdes", SERDES, ids=["json", "envelope"])
@pytest.mark.parametrize("value", ["a\udc80b", ["é", "\ud800"], {"k\udfff": "😀"}])
def test_a_lone_surrogate_is_escaped_so_the_payload_is_valid_utf8(serdes: Any, value: Any) -> None:
    payload = serdes.serialize(value, CTX)

    payload.encode()  # what every store and the wire need
    assert serdes.deserialize(payload, CTX) == value


def test_payload_size_counts_utf8_bytes() -> None:
    assert payload_size('"abc"') == 5
    assert payload_size('"é"') == 4
    assert payload_size('"😀"') == 6
    assert payload_size('"\udc80"') == 5  # a lone surrogate (a user's serializer) counts three


# endregion
# region integers past Python's limit


@pytest.mark.parametrize("serdes", SERDES, ids=["json", "envelope"])
@pytest.mark.parametrize("value", [HUGE, {"n": [HUGE]}, (HUGE,)], ids=["int", "nested", "tuple"])
def test_writing_an_integer_past_the_limit_is_a_serdes_error_naming_it(
    serdes: Any, value: Any
) -> None:
    with pytest.raises(SerDesError, match="integer of more than 4300 digits"):
        serdes.serialize(value, CTX)
    with pytest.raises(SerDesError, match="integer of more than 4300 digits"):
        serialize(serdes, value, CTX)


@pytest.mark.parametrize("serdes", SERDES, ids=["json", "envelope"])
@pytest.mark.parametrize(
    "payload", ["1" * 5000, '{"n":' + "2" * 5000 + "}", '{"t":"i","v":' + "3" * 5000 + "}"]
)
def test_reading_an_integer_past_the_limit_is_a_serdes_error_naming_it(
    serdes: Any, payload: str
) -> None:
    with pytest.raises(SerDesError, match="integer of more than 4300 digits"):
        deserialize(serdes, payload, CTX)


def returns_huge(step: StepContext) -> int:
    return HUGE


async def huge_step(event: Any, ctx: DurableContext) -> Any:
    return await ctx.step(returns_huge, name="huge")


async def huge_map_item(event: Any, ctx: DurableContext) -> Any:
    result = await ctx.map([1], lambda item_ctx, item, index, items: _huge(), name="huge-map")
    return result.get_results()


async def _huge() -> int:
    return HUGE


async def huge_result(event: Any, ctx: DurableContext) -> int:
    return HUGE


@pytest.mark.parametrize(
    "handler", [huge_step, huge_map_item, huge_result], ids=["step", "map-item", "result"]
)
async def test_an_integer_past_the_limit_fails_the_execution_with_a_clear_serdes_error(
    handler: Any,
) -> None:
    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "SerDesError"
    assert "integer of more than 4300 digits" in (result.error.ErrorMessage or "")


# endregion
# region through the runtime


async def test_non_ascii_text_round_trips_through_the_local_runtime() -> None:
    def echo(step: StepContext) -> dict[str, Any]:
        return TEXT

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        stepped = await ctx.step(echo, name="echo")
        child = await ctx.run_in_child_context(lambda child: _same(stepped), name="child")
        return {"event": event, "step": stepped, "child": child}

    run = await DurableTestRunner(handler, always_replay=True).start(TEXT)
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == {"event": TEXT, "step": TEXT, "child": TEXT}
    stored = run.step("echo").operation.result_payload
    assert stored is not None
    assert "Zoë Ångström" in stored
    assert "😀" in stored


async def _same(value: Any) -> Any:
    return value


EMOJI = "😀" * 70_000  # 70,002 characters as JSON, 280,002 bytes: over the 256 KiB limit


async def big_child(event: Any, ctx: DurableContext) -> int:
    async def body(child: DurableContext) -> str:
        return EMOJI

    value = await ctx.run_in_child_context(body, name="big")
    return len(value)


async def big_map(event: Any, ctx: DurableContext) -> list[int]:
    async def item(item_ctx: DurableContext, value: int, index: int, items: Any) -> str:
        return EMOJI

    result = await ctx.map([1], item, name="big-map", config=MapConfig())
    return [len(text) for text in result.get_results()]


@pytest.mark.parametrize(
    ("handler", "expected"), [(big_child, 70_000), (big_map, [70_000])], ids=["child", "map"]
)
async def test_results_over_the_limit_in_utf8_bytes_are_not_stored_whole(
    handler: Any, expected: Any
) -> None:
    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == expected
    for op in await run.operations_async():
        if op.Type is OperationType.CONTEXT:
            assert payload_size(op.result_payload or "") <= 256 * 1024
            assert op.ContextDetails is not None
            assert op.ContextDetails.ReplayChildren is True


class RecordingService(AcknowledgingService):
    """Acknowledges every checkpoint and keeps the updates it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[OperationUpdate] = []

    async def checkpoint(
        self, arn: str, token: str, updates: Any, client_token: str | None = None
    ) -> CheckpointResponse:
        """Keep the updates, then acknowledge."""
        self.updates.extend(updates)
        return await super().checkpoint(arn, token, updates, client_token)


async def invoke(
    handler: Any, input_payload: str, options: RuntimeOptions
) -> tuple[InvocationOutput, RecordingService]:
    """Run one invocation of ``handler`` on a fresh execution with ``input_payload``."""
    invocation = parse_invocation_input(
        {
            "DurableExecutionArn": "arn:aws:lambda:us-east-1:1:function:f:1/durable-execution/a/b",
            "CheckpointToken": "t0",
            "InitialExecutionState": {
                "Operations": [
                    {
                        "Id": "e",
                        "Type": "EXECUTION",
                        "Status": "STARTED",
                        "StartTimestamp": 0,
                        "ExecutionDetails": {"InputPayload": input_payload},
                    }
                ]
            },
        }
    )
    service = RecordingService()
    output = await run_invocation(
        handler,
        invocation,
        service=service,
        serdes=JsonSerDes(),
        clock=FakeClock(),
        random=random.Random(0),
        logger=NullLogger(),
        options=options,
    )
    return output, service


async def test_an_input_integer_past_the_limit_is_a_serdes_error_naming_it() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return event

    output, _ = await invoke(handler, '{"n": ' + "9" * 5000 + "}", RuntimeOptions())

    assert output.Error is not None
    assert output.Error.ErrorType == "SerDesError"
    assert "integer of more than 4300 digits" in (output.Error.ErrorMessage or "")


async def test_the_result_is_utf8_text_measured_as_a_lambda_response_escapes_it() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        return "é" * 100

    # 202 bytes in UTF-8, but 602 once a Lambda runtime escapes it in its response.
    output, service = await invoke(handler, "{}", RuntimeOptions(max_response_bytes=300))

    assert output.Result == ""
    [update] = [u for u in service.updates if u.Type is OperationType.EXECUTION]
    assert update.Payload == json.dumps("é" * 100, ensure_ascii=False)

    output, _ = await invoke(handler, "{}", RuntimeOptions(max_response_bytes=602))
    assert output.Result == '"' + "é" * 100 + '"'


# endregion
