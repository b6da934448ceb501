"""Serializers: how results, inputs and callback payloads become checkpoint strings and back.

Two wire formats are read everywhere and written by choice:

* plain JSON (``{"ok":3}``), readable in any history viewer; and
* the official AWS SDK's extended-type envelope, ``{"t": tag, "v": value}``, in which every
  nested value is wrapped too (``{"t":"m","v":{"ok":{"t":"i","v":3}}}``), so a datetime, a
  Decimal, bytes or a tuple survives the trip.

``JsonSerDes`` (the default) writes plain JSON whenever JSON carries the value exactly and the
envelope otherwise; ``EnvelopeSerDes`` writes what the official SDK writes, byte for byte, so
an execution can move back to it. Both read either format. Compact separators and ASCII escapes
match the official SDK, so both write the same bytes it does for primitives and lists of them.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar, Generic, Protocol, cast, overload, runtime_checkable
from uuid import UUID

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import to_jsonable_python
from typing_extensions import TypeVar

from durable_lambda.core.errors import SerDesError, ValidationError

__all__ = [
    "DEFAULT_SERDES",
    "EnvelopeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "SerDes",
    "SerDesContext",
    "deserialize",
    "serdes_for_type",
    "serialize",
]

# Defaults to Any so that a bare JsonSerDes() is a JsonSerDes[Any] (PEP 696).
T = TypeVar("T", default=Any)

_COMPACT = (",", ":")
_PREVIEW_CHARS = 80
# Tags the official envelope has no word for; only JsonSerDes writes them.
_SET, _FROZENSET, _KEYED_MAP = "S", "fs", "M"
_JSON_SCALARS = frozenset({str, int, bool, float, type(None)})
_SUPPORTED = (
    "None, bool, int, float, str, list, tuple, dict, bytes, datetime, date, Decimal, UUID, "
    "pydantic models and dataclasses"
)


@dataclasses.dataclass(frozen=True, slots=True)
class SerDesContext:
    """Where a payload belongs, handed to every serializer call.

    Args:
        operation_id: The id of the operation whose payload this is.
        durable_execution_arn: The ARN of the durable execution.

    """

    operation_id: str
    durable_execution_arn: str


@runtime_checkable
class SerDes(Protocol[T]):
    """The serializer port: a value to a payload string, and back.

    Parameters are positional-only so that any implementation matches, whatever it names them
    (the official SDK's serializers call the context ``serdes_context``).
    """

    def serialize(self, value: T, context: SerDesContext, /) -> str:
        """Return ``value`` as a payload string."""
        ...

    def deserialize(self, payload: str, context: SerDesContext, /) -> T:
        """Return the value ``payload`` was written from."""
        ...


class _UnsupportedValueError(Exception):
    """Raised inside the encoder; carries the path to the value so the message can point at it."""

    def __init__(self, value: object, what: str = "a value") -> None:
        super().__init__(what)
        self.what = what
        self.type_name = _type_name(value)
        self.path: list[str] = []


class _MalformedPayloadError(ValueError):
    """Raised inside the decoder for a payload that parses as JSON but is not a valid envelope."""


# region encoding


def _type_name(value: object) -> str:
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _is_model(value: object) -> bool:
    return isinstance(value, BaseModel) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _model_data(value: Any) -> Any:
    """Dump a pydantic model or dataclass to JSON data (aliases, so validation reads it back)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable_python(value, by_alias=True)
    raise TypeError(f"{_type_name(value)} is not JSON serializable")


def _is_plain(value: Any) -> bool:
    """Tell whether plain JSON carries ``value`` exactly (models count: they dump to JSON)."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return kind is not float or math.isfinite(value)
    # Loops rather than all(...), which is twice as slow: this walk is on every write's path.
    if isinstance(value, list):
        for item in value:  # noqa: SIM110
            if not _is_plain(item):
                return False
        return True
    if isinstance(value, dict):
        for key, item in value.items():  # noqa: SIM110
            if not (isinstance(key, str) and _is_plain(item)):
                return False
        return True
    if isinstance(value, (str, int)):  # str and int subclasses such as StrEnum and IntEnum
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_model(value)


def _is_official_primitive(value: Any) -> bool:
    """Tell whether the official SDK writes ``value`` as plain JSON: primitives, lists of them."""
    if value is None or isinstance(value, (str, int, float)):
        return True
    return isinstance(value, list) and all(_is_official_primitive(item) for item in value)


def _looks_like_envelope(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 2 and "t" in value and "v" in value


def _encode(value: Any, extended: bool) -> dict[str, Any]:
    """Wrap ``value`` and everything in it as the envelope; ``extended`` allows our own tags."""
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
    if isinstance(value, list):
        return {"t": "l", "v": _encode_items(value, extended)}
    if isinstance(value, tuple):
        return {"t": "t", "v": _encode_items(value, extended)}
    if isinstance(value, dict):
        return _encode_dict(value, extended)
    if extended and isinstance(value, (set, frozenset)):
        tag = _FROZENSET if isinstance(value, frozenset) else _SET
        return {"t": tag, "v": _encode_items(_stable_order(value), extended)}
    if _is_model(value):
        return _encode(_model_data(value), extended)
    raise _UnsupportedValueError(value)


def _stable_order(items: Iterable[Any]) -> list[Any]:
    # Sorted where the elements allow it, so the same set always gives the same payload.
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _encode_items(items: Iterable[Any], extended: bool) -> list[Any]:
    encoded = []
    for index, item in enumerate(items):
        try:
            encoded.append(_encode(item, extended))
        except _UnsupportedValueError as error:
            error.path.append(f"[{index}]")
            raise
    return encoded


def _encode_dict(value: dict[Any, Any], extended: bool) -> dict[str, Any]:
    if extended and not all(isinstance(key, str) for key in value):
        # JSON object keys are strings; other keys travel as [key, value] pairs, both wrapped.
        pairs = _encode_items(([key, item] for key, item in value.items()), extended)
        return {"t": _KEYED_MAP, "v": [pair["v"] for pair in pairs]}
    encoded = {}
    for key, item in value.items():
        if not (key is None or isinstance(key, (str, int, float))):
            # json.dumps turns None, bool, int and float keys into strings, as the official SDK
            # lets it; any other key cannot be written at all.
            raise _UnsupportedValueError(key, "a dict key")
        try:
            encoded[key] = _encode(item, extended)
        except _UnsupportedValueError as error:
            error.path.append(f"[{key!r}]")
            raise
    return {"t": "m", "v": encoded}


# endregion
# region decoding


def _expect(value: Any, kinds: type | tuple[type, ...], tag: str) -> Any:
    # A JSON true is a Python bool, which is an int too: only the "b" tag may hold one.
    if not isinstance(value, kinds) or (isinstance(value, bool) and tag != "b"):
        raise _MalformedPayloadError(f"tag {tag!r} cannot hold a JSON {type(value).__name__}")
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
        raise _MalformedPayloadError(f"{value!r} is not a decimal number") from None


def _decode_keyed_map(value: Any) -> dict[Any, Any]:
    pairs = _expect(value, list, _KEYED_MAP)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise _MalformedPayloadError(f"tag {_KEYED_MAP!r} holds [key, value] pairs")
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
        raise _MalformedPayloadError(f"unknown envelope tag {tag!r}")
    return decoder(value)


def _read(payload: str) -> Any:
    data = json.loads(payload)
    if _looks_like_envelope(data) and isinstance(data["t"], str) and data["t"] in _DECODERS:
        return _decode(data["t"], data["v"])
    return data


# endregion
# region serializers

# Built once: json.dumps with options builds an encoder per call. The envelope's encoder has the
# official SDK's settings (NaN allowed), so its output is byte for byte the same.
_PLAIN_JSON = json.JSONEncoder(separators=_COMPACT, allow_nan=False, default=_model_data)
_ENVELOPE_JSON = json.JSONEncoder(separators=_COMPACT)


def _where(context: SerDesContext) -> dict[str, str | None]:
    return {
        "operation_id": context.operation_id or None,
        "execution_arn": context.durable_execution_arn or None,
    }


def _preview(payload: object) -> str:
    text = payload if isinstance(payload, str) else repr(payload)
    if len(text) <= _PREVIEW_CHARS:
        return repr(text)
    return f"{text[:_PREVIEW_CHARS]!r}... ({len(text)} characters)"


class _StandardSerDes(Generic[T]):
    """What JsonSerDes and EnvelopeSerDes share: the reader and the optional result type."""

    __slots__ = ("_adapter", "result_type")
    _supports: ClassVar[str] = _SUPPORTED

    @overload
    def __init__(self, result_type: None = None) -> None: ...
    @overload
    def __init__(self, result_type: type[T]) -> None: ...
    @overload
    def __init__(self, result_type: object) -> None: ...

    def __init__(self, result_type: object = None) -> None:
        self.result_type = result_type
        self._adapter: TypeAdapter[Any] | None = None
        if result_type is not None:
            try:
                self._adapter = TypeAdapter(cast(Any, result_type))
            except Exception as error:
                raise ValidationError(
                    f"pydantic cannot validate {result_type!r}: {error}", field="result_type"
                ) from error

    def __repr__(self) -> str:
        typed = "" if self.result_type is None else f"result_type={self.result_type!r}"
        return f"{type(self).__name__}({typed})"

    def _write(self, value: Any) -> str:
        raise NotImplementedError

    def serialize(self, value: T, context: SerDesContext, /) -> str:
        """Return ``value`` as a payload string.

        Raises:
            SerDesError: ``value`` holds something neither format can carry; the message names
                its type, where it sits in ``value``, and the operation.

        """
        try:
            return self._write(value)
        except _UnsupportedValueError as error:
            at = "value" + "".join(reversed(error.path))
            message = (
                f"{type(self).__name__} cannot serialize {error.what} of type "
                f"{error.type_name!r} at {at}; it supports {self._supports}"
            )
            raise SerDesError(message, **_where(context)) from None
        except RecursionError:
            message = (
                f"{type(self).__name__} cannot serialize a circular or too deeply nested value"
            )
            raise SerDesError(message, **_where(context)) from None

    def deserialize(self, payload: str, context: SerDesContext, /) -> T:
        """Return the value ``payload`` was written from, validated as ``result_type`` if set.

        Raises:
            SerDesError: ``payload`` is not JSON, is a malformed envelope, or does not validate
                as ``result_type``; the message shows the start of the payload.

        """
        try:
            value = _read(payload)
        except (ValueError, TypeError, RecursionError) as error:
            message = f"cannot deserialize payload {_preview(payload)}: {error}"
            raise SerDesError(message, **_where(context)) from error
        if self._adapter is None:
            return value  # type: ignore[no-any-return]
        try:
            return self._adapter.validate_python(value)  # type: ignore[no-any-return]
        except PydanticValidationError as error:
            message = (
                f"payload {_preview(payload)} does not validate as {self.result_type!r}: {error}"
            )
            raise SerDesError(message, **_where(context)) from error


class JsonSerDes(_StandardSerDes[T]):
    """The default serializer: plain JSON where it is exact, the official envelope elsewhere.

    Plain JSON carries None, bool, int, finite float, str, lists and dicts with str keys (and
    pydantic models and dataclasses, as their JSON dump). Any other value (datetime, date,
    Decimal, UUID, bytes, tuple, set, frozenset, a dict with non-str keys, a NaN) makes the
    whole payload an envelope. Where the official SDK's envelope has a tag for everything in
    the value, the envelope is byte for byte the official one; sets, frozensets and dicts with
    non-str keys use tags of ours (``S``, ``fs``, ``M``) that the official SDK cannot read.

    Without ``result_type``, a pydantic model or dataclass reads back as a dict; with it, the
    decoded value is validated by ``pydantic.TypeAdapter(result_type)``, which rebuilds it.

    Args:
        result_type: The type to rebuild on read, e.g. ``JsonSerDes(result_type=Order)``.

    Raises:
        ValidationError: pydantic cannot build a validator for ``result_type``.

    Example:
        >>> ctx = SerDesContext("op", "arn")
        >>> JsonSerDes().serialize({"ok": 3}, ctx)
        '{"ok":3}'
        >>> JsonSerDes().serialize((1, 2), ctx)
        '{"t":"t","v":[{"t":"i","v":1},{"t":"i","v":2}]}'

    """

    __slots__ = ()
    _supports = f"{_SUPPORTED}, set and frozenset"

    def _write(self, value: Any) -> str:
        kind = type(value)
        if kind in _JSON_SCALARS and (kind is not float or math.isfinite(value)):
            return _PLAIN_JSON.encode(value)
        if _is_model(value):
            value = _model_data(value)
        # A top-level {"t", "v"} dict would read back as an envelope, so it is written as one.
        if _is_plain(value) and not _looks_like_envelope(value):
            try:
                return _PLAIN_JSON.encode(value)
            except (ValueError, TypeError):
                pass  # a model dumped a NaN: the envelope carries it
        return _ENVELOPE_JSON.encode(_encode(value, extended=True))


class EnvelopeSerDes(_StandardSerDes[T]):
    """Writes exactly what the official AWS SDK writes, so it can resume the execution.

    Primitives and lists of primitives are plain JSON, everything else the envelope, byte for
    byte as the official SDK writes them. Its limits come too: sets are refused, and dict keys
    that are None, bool, int or float are written as strings (they read back as strings).
    Pydantic models and dataclasses are written as their JSON dump, which it reads as a dict.

    Args:
        result_type: The type to rebuild on read, as for ``JsonSerDes``.

    Raises:
        ValidationError: pydantic cannot build a validator for ``result_type``.

    """

    __slots__ = ()

    def _write(self, value: Any) -> str:
        if _is_model(value):
            value = _model_data(value)
        if _is_official_primitive(value):
            return _ENVELOPE_JSON.encode(value)
        return _ENVELOPE_JSON.encode(_encode(value, extended=False))


class PassThroughSerDes:
    """Payload strings unchanged, for values that are already text, like the official SDK's."""

    __slots__ = ()

    def serialize(self, value: str, context: SerDesContext, /) -> str:
        """Return ``value`` itself.

        Raises:
            SerDesError: ``value`` is not a str.

        """
        checked: object = value  # the annotation is a promise a caller may break
        if not isinstance(checked, str):
            message = f"PassThroughSerDes writes str values only, not {_type_name(value)!r}"
            raise SerDesError(message, **_where(context))
        return value

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        """Return ``payload`` itself."""
        return payload


DEFAULT_SERDES: JsonSerDes[Any] = JsonSerDes()
"""The serializer used when none is configured."""

_UNTYPED: tuple[object, ...] = (None, type(None), Any, object, inspect.Parameter.empty)


def serdes_for_type(tp: object) -> SerDes[Any]:
    """Return a serializer that rebuilds values of type ``tp`` on read.

    Meant for a function's return annotation: ``serdes_for_type(Order)`` gives back an ``Order``
    on replay. Untyped annotations (none, ``Any``, ``object``, ``None``) get ``DEFAULT_SERDES``.

    Args:
        tp: A type or type expression pydantic can validate (``Order``, ``list[Order]``...).

    Returns:
        A ``JsonSerDes`` for ``tp``, shared between calls with the same hashable ``tp``.

    Raises:
        ValidationError: pydantic cannot build a validator for ``tp``.

    """
    if any(tp is untyped for untyped in _UNTYPED):
        return DEFAULT_SERDES
    try:
        return _typed_serdes(tp)
    except TypeError:  # an unhashable annotation cannot be cached
        return JsonSerDes(result_type=tp)


@lru_cache(maxsize=256)
def _typed_serdes(tp: object) -> JsonSerDes[Any]:
    return JsonSerDes(result_type=tp)


# endregion
# region guarded calls


def _locate(error: SerDesError, context: SerDesContext) -> None:
    where = _where(context)
    error.operation_id = error.operation_id or where["operation_id"]
    error.execution_arn = error.execution_arn or where["execution_arn"]


def serialize(serdes: SerDes[T] | None, value: T, context: SerDesContext) -> str:
    """Serialize with any serializer, turning whatever it raises into ``SerDesError``.

    Args:
        serdes: The serializer, a user's own included; ``None`` means ``DEFAULT_SERDES``.
        value: The value to write.
        context: The operation and execution the payload belongs to.

    Returns:
        The payload string.

    Raises:
        SerDesError: the serializer failed (the original error is chained) or returned a
            non-str; it carries the operation id and execution ARN.

    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    try:
        payload: object = active.serialize(value, context)
    except SerDesError as error:
        _locate(error, context)
        raise
    except Exception as error:
        message = f"{active!r} failed to serialize a value of type {_type_name(value)!r}: {error!r}"
        raise SerDesError(message, **_where(context)) from error
    if not isinstance(payload, str):
        message = f"{active!r} returned {_type_name(payload)!r} from serialize, not a str"
        raise SerDesError(message, **_where(context))
    return payload


@overload
def deserialize(serdes: None, payload: str, context: SerDesContext) -> Any: ...
@overload
def deserialize(serdes: SerDes[T], payload: str, context: SerDesContext) -> T: ...


def deserialize(serdes: SerDes[Any] | None, payload: str, context: SerDesContext) -> Any:
    """Deserialize with any serializer, turning whatever it raises into ``SerDesError``.

    Args:
        serdes: The serializer, a user's own included; ``None`` means ``DEFAULT_SERDES``.
        payload: The stored payload string.
        context: The operation and execution the payload belongs to.

    Returns:
        The value the payload was written from.

    Raises:
        SerDesError: the serializer failed (the original error is chained); it carries the
            operation id and execution ARN and shows the start of the payload.

    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    try:
        return active.deserialize(payload, context)
    except SerDesError as error:
        _locate(error, context)
        raise
    except Exception as error:
        message = f"{active!r} failed to deserialize payload {_preview(payload)}: {error!r}"
        raise SerDesError(message, **_where(context)) from error


# endregion
