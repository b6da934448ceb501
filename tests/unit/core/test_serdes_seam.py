"""One read and one write: ``read_value`` and ``write_value`` are the only way operations touch
payloads, and their fast lanes are the built-in serializers' own methods.

A serializer of the user's own, or a subclass that reads or writes its own way, is always called;
a built-in serializer's fast lane gives exactly what its ``serialize`` / ``deserialize`` give.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.serdes import (
    EnvelopeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    read_value,
    write_optional,
    write_value,
)

OPERATIONS = Path(__file__).resolve().parents[3] / "durable_lambda" / "core" / "operations"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e"

VALUES: list[Any] = [
    None,
    True,
    3,
    2.5,
    "café",
    [1, "a", None],
    {"ok": 3},
    {"t": "i", "v": 1},  # an envelope look-alike
    (1, 2),
    datetime(2026, 1, 1, tzinfo=UTC),
    Decimal("1.50"),
    {1: "a"},
]


class Recording:
    """A serializer of the user's own: records every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        self.calls.append(f"serialize {context.operation_id}")
        return f"<{value}>"

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        self.calls.append(f"deserialize {context.operation_id}")
        return payload.strip("<>")


def test_a_serializer_of_ones_own_is_always_called() -> None:
    serdes = Recording()
    payload, same = write_value(serdes, 3, "op-1", ARN)
    assert payload == "<3>"
    assert same is False  # its reading decides what replay sees
    assert read_value(serdes, payload, "op-1", ARN) == "3"
    assert serdes.calls == ["serialize op-1", "deserialize op-1"]


@pytest.mark.parametrize("serdes", [JsonSerDes(), EnvelopeSerDes(), JsonSerDes(result_type=Any)])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_fast_lanes_give_what_the_serializer_gives(serdes: Any, value: Any) -> None:
    context = SerDesContext("op-1", ARN)
    try:
        expected_payload = serdes.serialize(value, context)
    except Exception:
        return  # a value this serializer refuses (a set under EnvelopeSerDes...)
    payload, same = write_value(serdes, value, "op-1", ARN)
    assert payload == expected_payload
    read = read_value(serdes, payload, "op-1", ARN)
    assert read == serdes.deserialize(expected_payload, context)
    assert type(read) is type(serdes.deserialize(expected_payload, context))
    if same:
        assert read == value
        assert type(read) is type(value)


def test_pass_through_offers_no_fast_lane_and_is_called() -> None:
    assert write_value(PassThroughSerDes(), "text", "op-1", ARN) == ("text", False)
    assert read_value(PassThroughSerDes(), "text", "op-1", ARN) == "text"


def test_write_optional_writes_no_payload_only_for_a_none_under_pass_through() -> None:
    # The official SDK's pass-through hands a None back as the payload: none is recorded.
    assert write_optional(PassThroughSerDes(), None, "op-1", ARN) == (None, True)
    assert write_optional(PassThroughSerDes(), "", "op-1", ARN) == ("", False)
    assert write_optional(JsonSerDes(), None, "op-1", ARN) == ("null", True)
    assert write_optional(None, None, "op-1", ARN) == ("null", True)  # the default serializer
    serdes = Recording()  # a user's own serializer is asked, even for None
    assert write_optional(serdes, None, "op-1", ARN) == ("<None>", False)
    assert serdes.calls == ["serialize op-1"]


def test_no_operation_reads_or_writes_a_payload_another_way() -> None:
    # Everything an operation checkpoints goes through read_value / write_value (or the runtime's
    # read, built on read_value): no direct serialize/deserialize, read_payload, write_plain_json.
    direct = re.compile(
        r"(?<![\w.])(serialize|deserialize|read_payload|write_plain_json)\(|"
        r"from durable_lambda\.core\.envelope import .*read_payload"
    )
    offenders = []
    for path in sorted(OPERATIONS.glob("*.py")):
        if path.name == "callback_answers.py":
            continue  # a serializer itself (wrapping another's serialize and deserialize)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if direct.search(code) and "def " not in code and ">>>" not in code:
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
