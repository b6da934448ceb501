"""The official AWS SDK's extended-type envelope: values in, values out, and when to use it.

The envelope is ``{"t": tag, "v": value}`` with every nested value wrapped as well, e.g.
``{"ok": 3}`` is ``{"t":"m","v":{"ok":{"t":"i","v":3}}}``. Its tags are the official SDK's
(``n`` None, ``s`` str, ``b`` bool, ``i`` int, ``f`` float, ``B`` bytes, ``u`` UUID, ``d``
Decimal, ``dt`` datetime, ``D`` date, ``l`` list, ``t`` tuple, ``m`` dict, ``br`` its
BatchResult); ``S`` set, ``fs`` frozenset and ``M`` dict with non-str keys are ours, written only
when the caller allows them (``extended``).

This module does the encoding and decoding and says which values plain JSON carries exactly;
the serializers in ``durable_lambda.core.serdes`` decide which format to write and turn these
errors into ``SerDesError``. JSON is written with non-ASCII text as it is (``JsonWriter``): the
service measures payloads in UTF-8 bytes, where ``é`` takes two and an emoji four, against six
and twelve as JSON's unicode escapes; every JSON reader, the official SDK's included, reads both.
"""

from __future__ import annotations

import dataclasses
import json
import math
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from durable_lambda.core._internals import scan_json

__all__ = [
    "ENVELOPE_JSON",
    "JSON_SCALARS",
    "DataclassValueError",
    "JsonWriter",
    "MalformedPayloadError",
    "UnsupportedValueError",
    "encode_envelope",
    "is_model",
    "is_official_primitive",
    "is_plain",
    "looks_like_envelope",
    "model_data",
    "parse_json",
    "pydantic_data",
    "read_payload",
    "type_name",
    "utf8_encodable",
]

# Tags the official envelope has no word for; only an extended encoding writes them.
_SET, _FROZENSET, _KEYED_MAP = "S", "fs", "M"

JSON_SCALARS = frozenset({str, int, bool, float, type(None)})
"""The exact types plain JSON carries as they are (a float only when finite)."""


def utf8_encodable(text: str) -> bool:
    """Tell whether UTF-8 can carry ``text``: False only when it holds a lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class JsonWriter:
    """A JSON encoder that writes non-ASCII text as it is, escaping only what UTF-8 cannot carry.

    A lone surrogate (a ``str`` may hold one; UTF-8 has no bytes for it) makes the whole text
    fall back to JSON's unicode escapes, as ``json.dumps`` writes by default, so that what is
    written can always be sent and stored as UTF-8.

    Args:
        **options: Options of ``json.JSONEncoder`` (all but ``ensure_ascii``).
    """

    __slots__ = ("_escaped", "_text")

    def __init__(self, **options: Any) -> None:
        # Built once: json.dumps with options builds an encoder per call.
        self._text = json.JSONEncoder(ensure_ascii=False, **options)
        self._escaped = json.JSONEncoder(**options)

    def encode(self, value: Any) -> str:
        """Return ``value`` as JSON text (what ``json.JSONEncoder.encode`` raises, it raises)."""
        text = self._text.encode(value)
        return text if utf8_encodable(text) else self._escaped.encode(value)


# The official SDK's settings (compact, NaN allowed), so what it encodes is what the official SDK
# writes, but for non-ASCII text, written as UTF-8 rather than escaped.
ENVELOPE_JSON = JsonWriter(separators=(",", ":"))
"""The JSON encoder of envelopes and of the official SDK's plain payloads."""


class UnsupportedValueError(Exception):
    """Raised by the encoder; carries the path to the value so a message can point at it.

    Args:
        value: The value that cannot be written.
        what: What the value is to its container ("a value", "a dict key").
    """

    def __init__(self, value: object, what: str = "a value") -> None:
        super().__init__(what)
        self.what = what
        self.type_name = type_name(value)
        self.path: list[str] = []


class DataclassValueError(UnsupportedValueError):
    """Raised for a dataclass the caller did not allow: nothing would rebuild it on read.

    Written as its fields, it would be read back as a dict, its type silently changed; the
    official SDK refuses it too. Carries the path to it, as ``UnsupportedValueError`` does.
    """

    def __init__(self, value: object) -> None:
        super().__init__(value, "a dataclass")


class MalformedPayloadError(ValueError):
    """Raised by the decoder for a payload that parses as JSON but is not a valid envelope."""


# region values


def type_name(value: object) -> str:
    """Return the name of ``value``'s type, qualified by its module unless it is a builtin."""
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def is_model(value: object) -> bool:
    """Tell whether ``value`` is a pydantic model or dataclass instance (written as its dump)."""
    return isinstance(value, BaseModel) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def model_data(value: Any) -> Any:
    """Dump a pydantic model or dataclass to JSON data (aliases, so validation reads it back).

    Raises:
        TypeError: ``value`` is neither (the contract of a ``json.JSONEncoder`` default).
    """
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable_python(value, by_alias=True)
    raise TypeError(f"{type_name(value)} is not JSON serializable")


def pydantic_data(value: Any) -> Any:
    """Dump a pydantic model to JSON data, as ``model_data`` does; refuse anything else.

    The ``json.JSONEncoder`` default of a writer that must not dump a dataclass: its
    ``TypeError`` for one sends the caller to ``encode_envelope``, which names where it sits.

    Raises:
        TypeError: ``value`` is not a pydantic model (a dataclass included).
    """
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"{type_name(value)} is not JSON serializable here")


def is_plain(value: Any) -> bool:
    """Tell whether plain JSON carries ``value`` exactly (models count: they dump to JSON)."""
    kind = type(value)
    if kind in JSON_SCALARS:
        return kind is not float or math.isfinite(value)
    # Loops rather than all(...), which is twice as slow: this walk is on every write's path.
    if isinstance(value, list):
        for item in value:  # noqa: SIM110
            if not is_plain(item):
                return False
        return True
    if isinstance(value, dict):
        for key, item in value.items():  # noqa: SIM110
            if not (isinstance(key, str) and is_plain(item)):
                return False
        return True
    if isinstance(value, (str, int)):  # str and int subclasses such as StrEnum and IntEnum
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return is_model(value)


def is_official_primitive(value: Any) -> bool:
    """Tell whether the official SDK writes ``value`` as plain JSON: primitives, lists of them."""
    if value is None or isinstance(value, (str, int, float)):
        return True
    return isinstance(value, list) and all(is_official_primitive(item) for item in value)


def looks_like_envelope(value: Any) -> bool:
    """Tell whether ``value`` has the envelope's shape: a dict of exactly ``t`` and ``v``."""
    return isinstance(value, dict) and len(value) == 2 and "t" in value and "v" in value


# endregion
# region encoding


def encode_envelope(
    value: Any, extended: bool, *, dump_dataclasses: bool = False
) -> dict[str, Any]:
    """Wrap ``value`` and everything in it as the envelope.

    Pydantic models are written as their JSON dump (a dict). So are dataclasses, but only with
    ``dump_dataclasses``: the caller says that something (a ``result_type``) rebuilds them on
    read; otherwise one would be read back as a dict, so it is refused wherever it sits.

    Args:
        value: The value to wrap.
        extended: Allow our own tags (sets, frozensets, dicts with non-str keys).
        dump_dataclasses: Write a dataclass as its fields rather than refuse it.

    Returns:
        The envelope, as JSON data.

    Raises:
        DataclassValueError: ``value`` holds a dataclass and ``dump_dataclasses`` is false.
        UnsupportedValueError: ``value`` holds something the envelope cannot carry.
    """
    return _encode(value, extended, dump_dataclasses)


def _encode(value: Any, extended: bool, dump: bool) -> dict[str, Any]:
    if value is None:
        return {"t": "n", "v": None}
    if isinstance(value, str):
        return {"t": "s", "v": value}
    if isinstance(value, bool):
        return {"t": "b", "v": value}
    if isinstance(value, int):
        return {"t": "i", "v": value}
    if isinstance(value, float):
        return {"t": "f", "v": value}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"t": "B", "v": b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, UUID):
        return {"t": "u", "v": str(value)}
    if isinstance(value, Decimal):
        return {"t": "d", "v": str(value)}
    if isinstance(value, datetime):
        return {"t": "dt", "v": value.isoformat()}
    if isinstance(value, date):
        return {"t": "D", "v": value.isoformat()}
    return _encode_container(value, extended, dump)


def _encode_container(value: Any, extended: bool, dump: bool) -> dict[str, Any]:
    if isinstance(value, list):
        return {"t": "l", "v": _encode_items(value, extended, dump)}
    if isinstance(value, tuple):
        return {"t": "t", "v": _encode_items(value, extended, dump)}
    if isinstance(value, dict):
        return _encode_dict(value, extended, dump)
    if extended and isinstance(value, (set, frozenset)):
        tag = _FROZENSET if isinstance(value, frozenset) else _SET
        return {"t": tag, "v": _encode_items(_stable_order(value), extended, dump)}
    if is_model(value):
        if not (dump or isinstance(value, BaseModel)):
            raise DataclassValueError(value)
        return _encode(model_data(value), extended, dump)  # JSON data: no model left in it
    raise UnsupportedValueError(value)


def _stable_order(items: Iterable[Any]) -> list[Any]:
    # Sorted where the elements allow it, so the same set always gives the same payload.
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _encode_items(items: Iterable[Any], extended: bool, dump: bool) -> list[Any]:
    encoded = []
    for index, item in enumerate(items):
        try:
            encoded.append(_encode(item, extended, dump))
        except UnsupportedValueError as error:
            error.path.append(f"[{index}]")
            raise
    return encoded


def _encode_dict(value: dict[Any, Any], extended: bool, dump: bool) -> dict[str, Any]:
    if extended and not all(isinstance(key, str) for key in value):
        # JSON object keys are strings; other keys travel as [key, value] pairs, both wrapped.
        pairs = _encode_items(([key, item] for key, item in value.items()), extended, dump)
        return {"t": _KEYED_MAP, "v": [pair["v"] for pair in pairs]}
    encoded = {}
    for key, item in value.items():
        if not (key is None or isinstance(key, (str, int, float))):
            # json.dumps turns None, bool, int and float keys into strings, as the official SDK
            # lets it; any other key cannot be written at all.
            raise UnsupportedValueError(key, "a dict key")
        try:
            encoded[key] = _encode(item, extended, dump)
        except UnsupportedValueError as error:
            error.path.append(f"[{key!r}]")
            raise
    return {"t": "m", "v": encoded}


# endregion
# region decoding


def _expect(value: Any, kinds: type | tuple[type, ...], tag: str) -> Any:
    # A JSON true is a Python bool, which is an int too: only the "b" tag may hold one.
    if not isinstance(value, kinds) or (isinstance(value, bool) and tag != "b"):
        raise MalformedPayloadError(f"tag {tag!r} cannot hold a JSON {type(value).__name__}")
    return value


def _unwrap(item: Any) -> Any:
    # Inside an envelope every value is wrapped; a bare one is taken as it is, as the official
    # SDK does.
    if isinstance(item, dict) and "t" in item and "v" in item:
        return _decode(item["t"], item["v"])
    return item


def _unwrap_all(value: Any, tag: str) -> list[Any]:
    return [_unwrap(item) for item in _expect(value, list, tag)]


def _decode_decimal(value: Any) -> Decimal:
    try:
        return Decimal(_expect(value, str, "d"))
    except InvalidOperation:
        raise MalformedPayloadError(f"{value!r} is not a decimal number") from None


def _decode_keyed_map(value: Any) -> dict[Any, Any]:
    pairs = _expect(value, list, _KEYED_MAP)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise MalformedPayloadError(f"tag {_KEYED_MAP!r} holds [key, value] pairs")
    return {_unwrap(key): _unwrap(item) for key, item in pairs}


def _decode_map(value: Any, tag: str) -> dict[str, Any]:
    return {key: _unwrap(item) for key, item in _expect(value, dict, tag).items()}


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "n": lambda value: None,
    "s": lambda value: _expect(value, str, "s"),
    "b": lambda value: _expect(value, bool, "b"),
    "i": lambda value: _expect(value, int, "i"),
    "f": lambda value: float(_expect(value, (int, float), "f")),
    "B": lambda value: b64decode(_expect(value, str, "B"), validate=True),
    "u": lambda value: UUID(_expect(value, str, "u")),
    "d": _decode_decimal,
    "dt": lambda value: datetime.fromisoformat(_expect(value, str, "dt")),
    "D": lambda value: date.fromisoformat(_expect(value, str, "D")),
    "l": lambda value: _unwrap_all(value, "l"),
    "t": lambda value: tuple(_unwrap_all(value, "t")),
    "m": lambda value: _decode_map(value, "m"),
    # The official SDK's BatchResult; without that class here it reads back as its dict form.
    "br": lambda value: _decode_map(value, "br"),
    _SET: lambda value: set(_unwrap_all(value, _SET)),
    _FROZENSET: lambda value: frozenset(_unwrap_all(value, _FROZENSET)),
    _KEYED_MAP: _decode_keyed_map,
}


def _decode(tag: Any, value: Any) -> Any:
    decoder = _DECODERS.get(tag) if isinstance(tag, str) else None
    if decoder is None:
        raise MalformedPayloadError(f"unknown envelope tag {tag!r}")
    return decoder(value)


# The C scanner behind json.loads, called directly (see core/_internals.py): json.loads adds
# two regular-expression matches (leading and trailing whitespace) and a BOM check, which cost
# more than the scan of a short payload does.
_SCAN = scan_json


def parse_json(payload: str) -> Any:
    """Return ``json.loads(payload)``, faster for the usual payload without surrounding space.

    The scanner reads one JSON value from the start of the text. When that succeeds and the
    value ends the text, the result is what ``json.loads`` returns; anything else (leading or
    trailing whitespace, a BOM, bytes, invalid or too deeply nested JSON) goes to ``json.loads``
    itself, which returns or raises exactly what it always did.

    Raises:
        ValueError: ``payload`` is not JSON (``json.JSONDecodeError``).
    """
    try:
        value, end = _SCAN(payload, 0)
    except (StopIteration, ValueError, TypeError, RecursionError):
        return json.loads(payload)
    if end != len(payload):
        return json.loads(payload)
    return value


def read_payload(payload: str) -> Any:
    """Parse a payload of either format: an envelope with a known tag is decoded, JSON is as is.

    Raises:
        ValueError: ``payload`` is not JSON, or is a malformed envelope
            (``MalformedPayloadError``, a ``ValueError``); a bad base64, ISO date or UUID
            text raises ``ValueError`` or ``TypeError`` from the standard library.
    """
    data = parse_json(payload)
    # JSON gives exact dicts: only a two-key one can be an envelope (no call for the others).
    if (
        type(data) is dict
        and len(data) == 2
        and "t" in data
        and "v" in data
        and isinstance(data["t"], str)
        and data["t"] in _DECODERS
    ):
        return _decode(data["t"], data["v"])
    return data


# endregion
