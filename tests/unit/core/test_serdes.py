from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any
from uuid import UUID

import pytest
from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItem,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python.config import BatchItemStatus
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes
from aws_durable_execution_sdk_python.serdes import PassThroughSerDes as OfficialPassThrough
from aws_durable_execution_sdk_python.serdes import SerDes as OfficialSerDes
from aws_durable_execution_sdk_python.serdes import SerDesContext as OfficialContext
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from durable_lambda.core.errors import SerDesError, ValidationError
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.serdes import (
    DEFAULT_SERDES,
    EnvelopeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    deserialize,
    serdes_for_type,
    serialize,
    write_plain_json,
    writes_no_payload,
)

CTX = SerDesContext(operation_id="op-1", durable_execution_arn="arn:aws:lambda:exec/1")
OFFICIAL: Any = ExtendedTypeSerDes()  # type: ignore[no-untyped-call]
UID = UUID("12345678-1234-5678-1234-567812345678")
MOMENT = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC)


def assert_identical(actual: Any, expected: Any) -> None:
    """Equal, and of the same type all the way down (1 == 1.0 == True would hide a bug)."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_identical(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for left, right in zip(actual, expected, strict=True):
            assert_identical(left, right)
    else:
        assert actual == expected


def round_trip(serdes: SerDes[Any], value: Any) -> Any:
    return serdes.deserialize(serdes.serialize(value, CTX), CTX)


class Color(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Order(BaseModel):
    order_id: str = Field(alias="orderId")
    quantity: int
    placed_at: datetime
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class Parcel:
    weight: Decimal
    sent_on: date


ORDER = Order(orderId="o-1", quantity=2, placed_at=MOMENT, tags=("gift",))


# region plain JSON


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (-7, "-7"),
        (2**70, "1180591620717411303424"),
        (1.5, "1.5"),
        ("héllo", '"héllo"'),
        ([1, "a", None, [False]], '[1,"a",null,[false]]'),
        ({"ok": 3}, '{"ok":3}'),
        ({"a": {"b": [1, {"c": 2.5}]}, "t": 1}, '{"a":{"b":[1,{"c":2.5}]},"t":1}'),
        ({"t": 1}, '{"t":1}'),
        ([{"t": "s", "v": "x"}], '[{"t":"s","v":"x"}]'),
        (Color.RED, '"red"'),
        ({"level": Level.HIGH}, '{"level":3}'),
        ({}, "{}"),
        ([], "[]"),
    ],
)
def test_json_serdes_writes_plain_json_for_plain_values(value: Any, text: str) -> None:
    assert JsonSerDes().serialize(value, CTX) == text
    assert JsonSerDes().deserialize(text, CTX) == value


def test_plain_output_equals_the_official_output_for_primitives_and_lists() -> None:
    for value in [None, True, 3, 2.5, "héllo", [1, [2, "x"], None]]:
        assert JsonSerDes().serialize(value, CTX) == as_utf8(OFFICIAL.serialize(value))


def as_utf8(official: str) -> str:
    """Return the official SDK's JSON with its unicode escapes written as the characters.

    That is what our writers write: UTF-8 text, escaped only where UTF-8 cannot carry it (a lone
    surrogate, for which the escaped text is kept whole).
    """
    text = json.dumps(json.loads(official), separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return official
    return text


# endregion
# region envelopes


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (MOMENT, '{"t":"dt","v":"2025-03-04T05:06:07.000890+00:00"}'),
        (date(2025, 3, 4), '{"t":"D","v":"2025-03-04"}'),
        (Decimal("1.10"), '{"t":"d","v":"1.10"}'),
        (b"\x00\xff", '{"t":"B","v":"AP8="}'),
        (UID, '{"t":"u","v":"12345678-1234-5678-1234-567812345678"}'),
        ((1, "a"), '{"t":"t","v":[{"t":"i","v":1},{"t":"s","v":"a"}]}'),
        ({3, 1, 2}, '{"t":"S","v":[{"t":"i","v":1},{"t":"i","v":2},{"t":"i","v":3}]}'),
        (frozenset({"b", "a"}), '{"t":"fs","v":[{"t":"s","v":"a"},{"t":"s","v":"b"}]}'),
        ({1: "a"}, '{"t":"M","v":[[{"t":"i","v":1},{"t":"s","v":"a"}]]}'),
        (float("inf"), '{"t":"f","v":Infinity}'),
        (
            {"at": date(2025, 1, 2), "n": 3, "ok": True},
            '{"t":"m","v":{"at":{"t":"D","v":"2025-01-02"},"n":{"t":"i","v":3},'
            '"ok":{"t":"b","v":true}}}',
        ),
        (
            [1, (2,)],
            '{"t":"l","v":[{"t":"i","v":1},{"t":"t","v":[{"t":"i","v":2}]}]}',
        ),
    ],
)
def test_json_serdes_writes_the_envelope_only_for_what_json_cannot_carry(
    value: Any, text: str
) -> None:
    assert JsonSerDes().serialize(value, CTX) == text
    assert_identical(JsonSerDes().deserialize(text, CTX), value)


def test_mixed_value_envelope_is_byte_for_byte_the_official_one() -> None:
    value = {"when": MOMENT, "items": [{"sku": "a", "qty": 2}], "price": Decimal("9.99")}
    assert JsonSerDes().serialize(value, CTX) == OFFICIAL.serialize(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        False,
        0,
        -(2**80),
        0.1,
        -0.0,
        "",
        "日本",
        b"",
        bytearray(b"ab"),
        MOMENT,
        datetime(2025, 1, 1, 12, 0),
        datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        date(1999, 12, 31),
        Decimal("-0.000001"),
        Decimal("1E+30"),
        UID,
        (),
        (1, (2, (3,))),
        [(), [], {}],
        {"k": (1, 2)},
        {"nested": {"set": {1, 2}, "frozen": frozenset({"x"})}},
        set(),
        frozenset({(1, 2), (3, 4)}),
        {1: "int key", (1, 2): "tuple key", None: "none key", 2.5: "float key"},
        {"a": 1, 2: "mixed keys"},
        {True: "bool key"},
        {"when": {date(2025, 1, 1): [Decimal("1")]}},
    ],
)
def test_json_serdes_round_trips_every_supported_type(value: Any) -> None:
    expected = bytes(value) if isinstance(value, bytearray) else value
    assert_identical(round_trip(JsonSerDes(), value), expected)


def test_memoryview_is_written_as_bytes() -> None:
    assert round_trip(JsonSerDes(), memoryview(b"xyz")) == b"xyz"


def test_nan_round_trips_through_the_envelope() -> None:
    assert JsonSerDes().serialize(float("nan"), CTX) == '{"t":"f","v":NaN}'
    assert math.isnan(round_trip(JsonSerDes(), float("nan")))
    nested = round_trip(JsonSerDes(), {"x": float("-inf")})
    assert nested == {"x": float("-inf")}


def test_datetime_with_z_suffix_is_read_as_utc() -> None:
    value = JsonSerDes().deserialize('{"t":"dt","v":"2025-03-04T05:06:07Z"}', CTX)
    assert value == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_sets_of_unorderable_elements_still_round_trip() -> None:
    value = {1, "a", None}
    assert round_trip(JsonSerDes(), value) == value


# endregion
# region the {"t", "v"} ambiguity


@pytest.mark.parametrize(
    "value",
    [{"t": "s", "v": "x"}, {"t": "zz", "v": 1}, {"t": None, "v": [1]}, {"v": 1, "t": "m"}],
)
def test_a_plain_dict_shaped_like_an_envelope_reads_back_as_itself(value: Any) -> None:
    text = JsonSerDes().serialize(value, CTX)
    assert text.startswith('{"t":"m","v":')
    assert_identical(JsonSerDes().deserialize(text, CTX), value)
    assert_identical(OFFICIAL.deserialize(text), value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"t":"zz","v":1}', {"t": "zz", "v": 1}),
        ('{"t":"s","v":"x","w":1}', {"t": "s", "v": "x", "w": 1}),
        ('{"t":["s"],"v":1}', {"t": ["s"], "v": 1}),
        ('{"t":"s"}', {"t": "s"}),
    ],
)
def test_only_an_exact_envelope_with_a_known_tag_decodes_as_one(text: str, value: Any) -> None:
    assert JsonSerDes().deserialize(text, CTX) == value


# endregion
# region compatibility with the official SDK

OFFICIAL_VALUES: list[Any] = [
    None,
    True,
    42,
    -1.25,
    "text",
    [1, 2, [3, "x"]],
    {"ok": 3},
    {"ok": True, "none": None, "f": 1.5, "s": "x"},
    {"a": {"b": {"c": [1, {"d": 2}]}}},
    [{"x": 1}, {"y": [2]}],
    (1, "two", 3.0),
    {"t": 1, "v": 2},
    MOMENT,
    date(2024, 2, 29),
    Decimal("123.4500"),
    b"\x01\x02binary",
    UID,
    {"when": MOMENT, "amount": Decimal("1.5"), "id": UID, "raw": b"x", "pair": (1, 2)},
    [],
    {},
    (),
    float("inf"),
]


@pytest.mark.parametrize("value", OFFICIAL_VALUES)
def test_payloads_written_by_the_official_sdk_read_back(value: Any) -> None:
    payload = OFFICIAL.serialize(value)
    for serdes in (JsonSerDes(), EnvelopeSerDes(), DEFAULT_SERDES):
        assert_identical(serdes.deserialize(payload, CTX), value)


def test_official_nested_ints_are_the_documented_envelope() -> None:
    payload = OFFICIAL.serialize({"ok": 3})
    assert payload == '{"t":"m","v":{"ok":{"t":"i","v":3}}}'
    assert JsonSerDes().deserialize(payload, CTX) == {"ok": 3}


@pytest.mark.parametrize("value", OFFICIAL_VALUES)
def test_envelope_serdes_writes_what_the_official_sdk_writes(value: Any) -> None:
    payload = EnvelopeSerDes().serialize(value, CTX)
    assert payload == as_utf8(OFFICIAL.serialize(value))
    assert_identical(OFFICIAL.deserialize(payload), value)


def test_envelope_serdes_keeps_the_official_handling_of_non_str_keys() -> None:
    # The official SDK lets json.dumps turn such keys into strings; so does EnvelopeSerDes.
    value = {1: "a", None: "b", 2.5: "c", False: "d"}
    payload = EnvelopeSerDes().serialize(value, CTX)
    assert payload == as_utf8(OFFICIAL.serialize(value))
    assert EnvelopeSerDes().deserialize(payload, CTX) == {
        "1": "a",
        "null": "b",
        "2.5": "c",
        "false": "d",
    }


def test_nan_written_plain_by_the_official_sdk_reads_back() -> None:
    payload = OFFICIAL.serialize(float("nan"))
    assert payload == "NaN"
    assert payload == EnvelopeSerDes().serialize(float("nan"), CTX)
    assert math.isnan(JsonSerDes().deserialize(payload, CTX))


def test_official_batch_result_reads_back_as_its_dict_form() -> None:
    batch = BatchResult(
        [BatchItem(0, BatchItemStatus.SUCCEEDED, result={"n": 1})],
        CompletionReason.ALL_COMPLETED,
    )
    value = JsonSerDes().deserialize(OFFICIAL.serialize(batch), CTX)
    assert value == {
        "all": [{"index": 0, "status": "SUCCEEDED", "result": {"n": 1}, "error": None}],
        "completionReason": "ALL_COMPLETED",
    }


def test_a_serdes_written_for_the_official_sdk_works_with_the_helpers() -> None:
    class Upper(OfficialSerDes[str]):
        def serialize(self, value: str, serdes_context: Any) -> str:
            return f"{serdes_context.operation_id}:{value.upper()}"

        def deserialize(self, data: str, serdes_context: Any) -> str:
            return data.split(":", 1)[1].lower()

    assert isinstance(Upper(), SerDes)
    assert serialize(Upper(), "abc", CTX) == "op-1:ABC"
    assert deserialize(Upper(), "op-1:ABC", CTX) == "abc"


# endregion
# region pydantic models and dataclasses


def test_a_model_is_written_as_plain_json_with_its_aliases() -> None:
    text = JsonSerDes().serialize(ORDER, CTX)
    assert text == (
        '{"orderId":"o-1","quantity":2,"placed_at":"2025-03-04T05:06:07.000890Z","tags":["gift"]}'
    )


def test_without_a_type_a_model_reads_back_as_a_dict() -> None:
    value = round_trip(JsonSerDes(), ORDER)
    assert value == ORDER.model_dump(mode="json", by_alias=True)


def test_with_a_result_type_the_model_is_rebuilt() -> None:
    assert_identical(round_trip(JsonSerDes(result_type=Order), ORDER), ORDER)
    assert_identical(round_trip(EnvelopeSerDes(result_type=Order), ORDER), ORDER)


def test_models_nested_in_containers_are_rebuilt_by_a_generic_type() -> None:
    orders = [ORDER, ORDER.model_copy(update={"quantity": 5})]
    assert round_trip(JsonSerDes(result_type=list[Order]), orders) == orders
    mapping = {"first": ORDER}
    assert JsonSerDes().serialize(mapping, CTX).startswith('{"first":{"orderId":"o-1"')
    assert round_trip(JsonSerDes(result_type=dict[str, Order]), mapping) == mapping


def test_a_model_next_to_a_datetime_goes_in_the_envelope_and_is_rebuilt() -> None:
    value = (ORDER, MOMENT)
    text = JsonSerDes().serialize(value, CTX)
    assert text.startswith('{"t":"t","v":[{"t":"m","v":{"orderId":{"t":"s","v":"o-1"}')
    assert round_trip(JsonSerDes(result_type=tuple[Order, datetime]), value) == value


def test_a_dataclass_is_rebuilt_by_type_and_refused_without_one() -> None:
    parcel = Parcel(weight=Decimal("1.25"), sent_on=date(2025, 5, 6))
    typed = JsonSerDes(result_type=Parcel)
    assert typed.serialize(parcel, CTX) == '{"weight":"1.25","sent_on":"2025-05-06"}'
    assert_identical(round_trip(typed, parcel), parcel)
    # Untyped it would come back a dict: refused at write time, as the official SDK does.
    for untyped in (JsonSerDes(), EnvelopeSerDes()):
        with pytest.raises(SerDesError, match=r"dataclass .*Parcel.* without a result_type"):
            untyped.serialize(parcel, CTX)


PARCEL = Parcel(weight=Decimal("1.25"), sent_on=date(2025, 5, 6))


@pytest.mark.parametrize(
    ("value", "at"),
    [
        ({"parcels": [PARCEL]}, "value['parcels'][0]"),
        ([1, (2, PARCEL)], "value[1][1]"),
        ({"when": MOMENT, "inner": {"p": PARCEL}}, "value['inner']['p']"),  # in the envelope
        ({"order": ORDER, "p": PARCEL}, "value['p']"),  # next to a model, which is written
    ],
    ids=["in-a-list-in-a-dict", "in-a-tuple", "next-to-a-datetime", "next-to-a-model"],
)
@pytest.mark.parametrize("serdes", [JsonSerDes(), EnvelopeSerDes()], ids=repr)
def test_a_dataclass_inside_an_untyped_value_is_refused_naming_its_type_and_place(
    serdes: JsonSerDes[Any], value: Any, at: str
) -> None:
    # Written as its fields it would come back a dict; the official SDK refuses it too.
    with pytest.raises(SerDesError) as caught:
        serdes.serialize(value, CTX)
    message = str(caught.value)
    assert "will not write a dataclass" in message
    assert f"{__name__}.Parcel" in message
    assert f" at {at} " in message
    assert "without a result_type" in message
    assert caught.value.operation_id == "op-1"
    with pytest.raises(Exception, match="Unsupported type"):
        OFFICIAL.serialize(value)


def test_a_dataclass_inside_a_value_is_rebuilt_by_a_result_type_that_holds_it() -> None:
    value = {"parcels": [PARCEL], "when": MOMENT}
    for serdes in (
        JsonSerDes(result_type=dict[str, list[Parcel] | datetime]),
        EnvelopeSerDes(result_type=dict[str, list[Parcel] | datetime]),
    ):
        assert_identical(round_trip(serdes, value), value)
    typed = JsonSerDes(result_type=list[Parcel])
    assert typed.serialize([PARCEL], CTX) == '[{"weight":"1.25","sent_on":"2025-05-06"}]'


def test_a_model_inside_an_untyped_value_is_still_written_as_its_dump() -> None:
    # Unchanged: a pydantic model reads back as a dict whether it is the value or inside it.
    dumped = ORDER.model_dump(mode="json", by_alias=True)
    for serdes in (JsonSerDes(), EnvelopeSerDes()):
        assert round_trip(serdes, {"orders": [ORDER]}) == {"orders": [dumped]}
        assert round_trip(serdes, (ORDER, 1)) == (dumped, 1)
    assert JsonSerDes().serialize([ORDER], CTX) == json.dumps([dumped], separators=(",", ":"))


def test_result_type_coerces_what_plain_json_flattens() -> None:
    assert_identical(round_trip(JsonSerDes(result_type=tuple[int, str]), (1, "a")), (1, "a"))
    assert_identical(round_trip(JsonSerDes(result_type=Color), Color.RED), Color.RED)


def test_a_payload_that_does_not_validate_as_the_result_type_is_a_serdes_error() -> None:
    with pytest.raises(SerDesError, match="does not validate as") as caught:
        JsonSerDes(result_type=Order).deserialize('{"orderId":"o-1"}', CTX)
    assert caught.value.operation_id == "op-1"


def test_a_result_type_pydantic_cannot_handle_is_rejected_up_front() -> None:
    class Opaque:
        pass

    with pytest.raises(ValidationError, match="pydantic cannot validate"):
        JsonSerDes(result_type=Opaque)


def test_serdes_for_type() -> None:
    assert serdes_for_type(Any) is DEFAULT_SERDES
    assert serdes_for_type(None) is DEFAULT_SERDES
    typed = serdes_for_type(Order)
    assert typed is serdes_for_type(Order)
    assert round_trip(typed, ORDER) == ORDER
    assert repr(typed) == f"JsonSerDes(result_type={Order!r})"


# endregion
# region errors


class Unknown:
    pass


def test_an_unsupported_value_names_its_type_its_place_and_the_operation() -> None:
    with pytest.raises(SerDesError) as caught:
        JsonSerDes().serialize({"items": [1, {"bad": Unknown()}]}, CTX)
    error = caught.value
    assert f"'{__name__}.Unknown'" in error.message
    assert "at value['items'][1]['bad']" in error.message
    assert error.operation_id == "op-1"
    assert error.execution_arn == "arn:aws:lambda:exec/1"
    assert "id op-1" in error.describe()
    assert "execution arn:aws:lambda:exec/1" in error.describe()
    assert str(error) == error.message


def test_envelope_serdes_refuses_what_the_official_sdk_cannot_read() -> None:
    with pytest.raises(SerDesError, match="type 'set' at value\\['s'\\]"):
        EnvelopeSerDes().serialize({"s": {1}}, CTX)
    with pytest.raises(SerDesError, match="a dict key of type 'tuple'"):
        EnvelopeSerDes().serialize({(1, 2): "x"}, CTX)


def test_a_circular_value_is_a_serdes_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerDesError, match="circular"):
        JsonSerDes().serialize(loop, CTX)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{not json", "Expecting property name"),
        ('{"t":"i","v":"3"}', "tag 'i' cannot hold a JSON str"),
        ('{"t":"i","v":true}', "tag 'i' cannot hold a JSON bool"),
        ('{"t":"B","v":"***"}', "Only base64 data"),
        ('{"t":"d","v":"abc"}', "not a decimal number"),
        ('{"t":"dt","v":"yesterday"}', "Invalid isoformat"),
        ('{"t":"m","v":{"a":{"t":"zz","v":1}}}', "unknown envelope tag 'zz'"),
        ('{"t":"l","v":{"a":1}}', "tag 'l' cannot hold a JSON dict"),
        ('{"t":"M","v":[[1]]}', "pairs"),
        ('{"t":"S","v":[{"t":"l","v":[]}]}', "unhashable"),
    ],
)
def test_a_payload_that_cannot_be_read_is_a_serdes_error(payload: str, reason: str) -> None:
    with pytest.raises(SerDesError, match="cannot deserialize payload") as caught:
        JsonSerDes().deserialize(payload, CTX)
    assert reason in caught.value.message
    assert repr(payload) in caught.value.message
    assert caught.value.operation_id == "op-1"


def test_a_long_bad_payload_is_previewed_truncated() -> None:
    payload = "[" + "1," * 5000
    with pytest.raises(SerDesError) as caught:
        JsonSerDes().deserialize(payload, CTX)
    assert f"... ({len(payload)} characters)" in caught.value.message
    assert len(caught.value.message) < 400


# endregion
# region the guarded helpers and PassThroughSerDes


class Broken:
    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        raise ValueError("no way")

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        raise KeyError(payload)


def test_helpers_turn_any_error_of_a_user_serdes_into_a_chained_serdes_error() -> None:
    with pytest.raises(SerDesError, match="failed to serialize a value of type 'int'") as caught:
        serialize(Broken(), 5, CTX)
    assert isinstance(caught.value.__cause__, ValueError)
    assert caught.value.operation_id == "op-1"
    with pytest.raises(SerDesError, match="failed to deserialize payload 'abc'") as caught:
        deserialize(Broken(), "abc", CTX)
    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.execution_arn == "arn:aws:lambda:exec/1"


def test_helpers_locate_a_serdes_error_a_user_serdes_raised_bare() -> None:
    class Strict:
        def serialize(self, value: Any, context: SerDesContext, /) -> str:
            raise SerDesError("refused")

        def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
            raise SerDesError("refused", operation_id="mine")

    with pytest.raises(SerDesError) as caught:
        serialize(Strict(), 1, CTX)
    assert (caught.value.message, caught.value.operation_id) == ("refused", "op-1")
    with pytest.raises(SerDesError) as caught:
        deserialize(Strict(), "1", CTX)
    assert caught.value.operation_id == "mine"
    assert caught.value.execution_arn == "arn:aws:lambda:exec/1"


def test_helpers_reject_a_serialize_that_returns_no_str() -> None:
    class Bytes:
        def serialize(self, value: Any, context: SerDesContext, /) -> Any:
            return b"raw"

        def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
            return payload

    with pytest.raises(SerDesError, match="returned 'bytes' from serialize"):
        serialize(Bytes(), "x", CTX)


def test_helpers_default_to_json_serdes() -> None:
    assert serialize(None, {"when": date(2025, 1, 1)}, CTX) == '{"t":"m","v":{"when":' + (
        '{"t":"D","v":"2025-01-01"}}}'
    )
    assert deserialize(None, '{"ok":3}', CTX) == {"ok": 3}
    with pytest.raises(SerDesError, match="'object'"):
        serialize(None, object(), CTX)


def test_pass_through_serdes_keeps_strings_unchanged() -> None:
    serdes = PassThroughSerDes()
    assert isinstance(serdes, SerDes)
    assert serialize(serdes, '{"t":"i","v":1}', CTX) == '{"t":"i","v":1}'
    assert deserialize(serdes, "not json", CTX) == "not json"
    with pytest.raises(SerDesError, match="str values only, not 'int'"):
        serdes.serialize(3, CTX)  # type: ignore[arg-type]


def test_only_a_none_under_pass_through_is_written_without_a_payload() -> None:
    # The official SDK's pass-through hands None back as the payload: no payload is recorded.
    official: Any = OfficialPassThrough()
    assert official.serialize(None, OfficialContext("op-1", "arn")) is None
    assert writes_no_payload(PassThroughSerDes(), None)
    assert not writes_no_payload(PassThroughSerDes(), "")
    assert not writes_no_payload(PassThroughSerDes(), "None")
    for other in (None, DEFAULT_SERDES, JsonSerDes(), EnvelopeSerDes()):
        assert not writes_no_payload(other, None)


def test_context_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CTX.operation_id = "other"  # type: ignore[misc]


# endregion
# region properties

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["t", "v", "a", "é"]) | st.text(max_size=4), children)
    ),
    max_leaves=20,
)
official_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.none() | st.just(UTC))
    | st.dates()
)
official_values = st.recursive(
    official_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)
hashables = st.integers() | st.text(max_size=4) | st.dates() | st.tuples(st.integers())
extended_values = st.recursive(
    official_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(hashables, children, max_size=4)
        | st.sets(hashables, max_size=4)
        | st.frozensets(hashables, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_json_like_values_round_trip(value: Any) -> None:
    text = JsonSerDes().serialize(value, CTX)
    if not (isinstance(value, dict) and set(value) == {"t", "v"}):
        assert text == as_utf8(json.dumps(value, separators=(",", ":")))
    assert_identical(JsonSerDes().deserialize(text, CTX), value)


@given(extended_values)
def test_extended_values_round_trip(value: Any) -> None:
    assert_identical(round_trip(JsonSerDes(), value), value)


@given(official_values)
def test_envelope_serdes_matches_the_official_sdk_byte_for_byte(value: Any) -> None:
    payload = EnvelopeSerDes().serialize(value, CTX)
    assert payload == as_utf8(OFFICIAL.serialize(value))
    assert_identical(OFFICIAL.deserialize(payload), value)
    assert_identical(JsonSerDes().deserialize(payload, CTX), value)


@given(official_values)
def test_what_the_official_sdk_writes_json_serdes_reads(value: Any) -> None:
    assert_identical(JsonSerDes().deserialize(OFFICIAL.serialize(value), CTX), value)


# endregion


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)


@given(_SCALARS)
def test_lone_scalars_are_written_as_the_json_encoder_writes_them(value: Any) -> None:
    # JsonSerDes writes a lone scalar without json's encoder (which builds a C encoder per call
    # for anything but a str); the text must be the encoder's, byte for byte.
    expected = as_utf8(json.dumps(value, separators=(",", ":"), allow_nan=False))
    assert JsonSerDes().serialize(value, CTX) == expected
    assert write_plain_json(value) == expected
    assert JsonSerDes().deserialize(expected, CTX) == value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_still_go_in_an_envelope(value: float) -> None:
    payload = JsonSerDes().serialize(value, CTX)
    assert json.loads(payload)["t"] == "f"
    read = JsonSerDes().deserialize(payload, CTX)
    assert math.isnan(read) if math.isnan(value) else read == value
