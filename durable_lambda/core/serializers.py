"""The built-in serializers: ``JsonSerDes`` (default), ``EnvelopeSerDes``, ``PassThroughSerDes``.

What they write and read is told in ``durable_lambda.core.serdes``, which re-exports everything
here, and whose ``read_value`` and ``write_value`` are the one read and the one write every
operation uses. The fast lanes those take are methods of the built-in serializers
(``plain_reader``, ``plain_text``): a serializer that offers none (any serializer of a user's
own) or overrides how it reads or writes (a subclass) always goes the long way, through its own
``serialize`` and ``deserialize``.
"""

from __future__ import annotations

import inspect
import json
import json.encoder
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar, Generic, cast, overload

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypeVar

from durable_lambda.core.envelope import (
    ENVELOPE_JSON,
    DataclassValueError,
    JsonWriter,
    UnsupportedValueError,
    encode_envelope,
    is_model,
    is_official_primitive,
    is_plain,
    looks_like_envelope,
    model_data,
    pydantic_data,
    read_payload,
    type_name,
    utf8_encodable,
)
from durable_lambda.core.errors import SerDesError, ValidationError
from durable_lambda.core.payloads import describe_payload, int_limit_exceeded, payload_location
from durable_lambda.core.ports import SerDes, SerDesContext

__all__ = [
    "DEFAULT_SERDES",
    "EnvelopeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "reads_back_unchanged",
    "reads_plainly",
    "serdes_for_type",
    "write_plain_json",
    "writes_no_payload",
]

# Defaults to Any so that a bare JsonSerDes() is a JsonSerDes[Any] (PEP 696).
T = TypeVar("T", default=Any)

_SUPPORTED = (
    "None, bool, int, float, str, list, tuple, dict, bytes, datetime, date, Decimal, UUID, "
    "pydantic models and dataclasses"
)

_PLAIN_JSON = JsonWriter(separators=(",", ":"), allow_nan=False, default=model_data)
# An untyped serializer's: a dataclass inside makes it raise, for the envelope's walk to refuse.
_PLAIN_JSON_NO_DATACLASS = JsonWriter(separators=(",", ":"), allow_nan=False, default=pydantic_data)


def _str_json(value: str) -> str:
    """Write a str as _PLAIN_JSON does: UTF-8 text, escapes only for a lone surrogate."""
    text: str = json.encoder.encode_basestring(value)
    return text if utf8_encodable(text) else json.encoder.encode_basestring_ascii(value)


# What _PLAIN_JSON writes for a lone scalar of these exact types, without its encode(), which
# builds a C encoder on every call for anything but a str (on every step's result).
_SCALAR_JSON: dict[type, Callable[[Any], str]] = {
    str: _str_json,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}


class _StandardSerDes(Generic[T]):
    """What JsonSerDes and EnvelopeSerDes share: the reader and the optional result type."""

    __slots__ = ("_adapter", "_plain_writes", "_reader", "result_type")
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
        # ``deserialize`` is ``read_payload`` plus error wrapping, unless a result type
        # validates what it reads or a subclass reads its own way.
        plain = self._adapter is None and type(self).deserialize is _StandardSerDes.deserialize
        self._reader: Callable[[str], Any] | None = read_payload if plain else None
        # ``serialize`` writes a lone scalar as ``write_plain_json`` does (JsonSerDes's own).
        self._plain_writes = (
            plain
            and type(self).serialize is _StandardSerDes.serialize
            and getattr(type(self), "_write", None) is getattr(JsonSerDes, "_write", False)
        )

    def plain_reader(self) -> Callable[[str], Any] | None:
        """Return what ``deserialize`` reads a payload with, without its error wrapping.

        The fast lane of ``read_value``: ``read_payload``, for this serializer without a
        ``result_type`` and with its own ``deserialize``; None otherwise. Whatever it raises
        (``ValueError``, ``TypeError``, ``RecursionError``) means: call ``deserialize`` for the
        full error.
        """
        return self._reader

    def plain_text(self, value: Any) -> str | None:
        """Return ``value`` as ``serialize`` writes it, when that reads back as ``value`` itself.

        The fast lane of ``write_value``: a lone None, bool, int, str or finite float of exactly
        those types (JSON writes their shortest exact form) under a serializer that writes and
        reads them as ``JsonSerDes`` does (no ``result_type``, its own ``serialize`` and
        ``deserialize``); None for anything else (an IntEnum, a str subclass, a container, any
        value under ``EnvelopeSerDes``), which ``serialize`` writes after its walk.
        """
        if not self._plain_writes:
            return None
        kind = type(value)
        scalar = _SCALAR_JSON.get(kind)
        if scalar is not None:
            if kind is int and value.bit_length() > _SURELY_WRITABLE_INT_BITS:
                return None  # too long for Python to write as text: the long way, to its error
            return scalar(value)
        if kind is float and math.isfinite(value):
            return float.__repr__(value)
        return None

    def plain_json(self, value: Any) -> str | None:
        """Return ``value``, built by the caller as plain JSON, as ``serialize`` writes it.

        The fast lane of ``write_value(..., known_plain=True)``: the caller vouches that
        ``value`` holds only such scalars as ``plain_text`` takes, in lists and str-keyed dicts,
        and is no envelope look-alike; it is written without the walk and reads back equal.
        None (take ``serialize``) under a serializer that writes otherwise.
        """
        return write_plain_json(value) if self._plain_writes else None

    def __repr__(self) -> str:
        typed = "" if self.result_type is None else f"result_type={self.result_type!r}"
        return f"{type(self).__name__}({typed})"

    def _write(self, value: Any) -> str:
        raise NotImplementedError

    def _model_data(self, value: Any) -> Any:
        """Dump a pydantic model or dataclass, refusing a dataclass nothing would rebuild.

        Untyped, a dataclass would come back a dict, its type silently changed (the official
        SDK refuses it too); with ``result_type`` it is rebuilt on read. So is one inside it.

        Raises:
            DataclassValueError: ``value`` is a dataclass and no ``result_type`` is set.
        """
        if self._adapter is None and not isinstance(value, BaseModel):
            raise DataclassValueError(value)
        return model_data(value)

    def _refusal(self, error: DataclassValueError, at: str) -> str:
        """Return the message that refuses the dataclass ``error`` found at ``at``."""
        name, short = type(self).__name__, error.type_name.rsplit(".", 1)[-1]
        typed = short if at == "value" else f"a type that holds {short} (list[{short}]...)"
        return (
            f"{name} will not write a dataclass ({error.type_name!r}) at {at} without a "
            "result_type: it would be read back as a dict. Write dicts (dataclasses.asdict"
            f"(...)), or set {name}(result_type=...) to {typed} to get the dataclass back"
        )

    def serialize(self, value: T, context: SerDesContext, /) -> str:
        """Return ``value`` as a payload string.

        Raises:
            SerDesError: ``value`` holds something neither format can carry; the message names
                its type, where it sits in ``value``, and the operation.

        """
        try:
            return self._write(value)
        except UnsupportedValueError as error:
            at = "value" + "".join(reversed(error.path))
            message = (
                self._refusal(error, at)
                if isinstance(error, DataclassValueError)
                else f"{type(self).__name__} cannot serialize {error.what} of type "
                f"{error.type_name!r} at {at}; it supports {self._supports}"
            )
            raise SerDesError(message, **payload_location(context)) from None
        except RecursionError:
            message = (
                f"{type(self).__name__} cannot serialize a circular or too deeply nested value"
            )
            raise SerDesError(message, **payload_location(context)) from None
        except ValueError as error:
            limit = int_limit_exceeded(error)
            if limit is None:
                raise
            message = (
                f"{type(self).__name__} cannot serialize an integer of more than {limit} digits, "
                "Python's limit for turning an int into text (sys.set_int_max_str_digits); "
                "write it as a str or a Decimal"
            )
            raise SerDesError(message, **payload_location(context)) from None

    def deserialize(self, payload: str, context: SerDesContext, /) -> T:
        """Return the value ``payload`` was written from, validated as ``result_type`` if set.

        Raises:
            SerDesError: ``payload`` is not JSON, is a malformed envelope, or does not validate
                as ``result_type``; the message shows the start of the payload.

        """
        try:
            value = read_payload(payload)
        except (ValueError, TypeError, RecursionError) as error:
            limit = int_limit_exceeded(error)
            reason = (
                str(error)
                if limit is None
                else f"it holds an integer of more than {limit} digits, Python's limit for "
                "reading an int from text (sys.set_int_max_str_digits)"
            )
            message = f"cannot deserialize payload {describe_payload(payload)}: {reason}"
            raise SerDesError(message, **payload_location(context)) from error
        if self._adapter is None:
            return value  # type: ignore[no-any-return]
        try:
            return self._adapter.validate_python(value)  # type: ignore[no-any-return]
        except PydanticValidationError as error:
            shown = describe_payload(payload)
            message = f"payload {shown} does not validate as {self.result_type!r}: {error}"
            raise SerDesError(message, **payload_location(context)) from error


class JsonSerDes(_StandardSerDes[T]):
    """The default serializer: plain JSON where it is exact, the official envelope elsewhere.

    Plain JSON carries None, bool, int, finite float, str, lists and dicts with str keys (and
    pydantic models and dataclasses, as their JSON dump). Any other value (datetime, date,
    Decimal, UUID, bytes, tuple, set, frozenset, a dict with non-str keys, a NaN) makes the
    whole payload an envelope. Where the official SDK's envelope has a tag for everything in
    the value, the envelope is the official one (non-ASCII text as UTF-8, see the module
    docstring); sets, frozensets and dicts with non-str keys use tags of ours (``S``, ``fs``,
    ``M``) that the official SDK cannot read.

    Without ``result_type``, a pydantic model reads back as a dict, and a dataclass (the value
    or inside it) is refused with ``SerDesError`` naming its type and place (the official SDK
    refuses it too) rather than silently read back as a dict; with ``result_type``, the decoded
    value is validated by ``pydantic.TypeAdapter(result_type)``, which rebuilds either.

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
        scalar = _SCALAR_JSON.get(kind)
        if scalar is not None:
            return scalar(value)
        if kind is float and math.isfinite(value):
            return float.__repr__(value)
        typed = self._adapter is not None
        if is_model(value):
            value = self._model_data(value)
        # A top-level {"t", "v"} dict would read back as an envelope, so it is written as one.
        if is_plain(value) and not looks_like_envelope(value):
            try:
                return (_PLAIN_JSON if typed else _PLAIN_JSON_NO_DATACLASS).encode(value)
            except (ValueError, TypeError):
                pass  # a model dumped a NaN (the envelope carries it), or a refused dataclass
        return ENVELOPE_JSON.encode(encode_envelope(value, extended=True, dump_dataclasses=typed))


class EnvelopeSerDes(_StandardSerDes[T]):
    """Writes what the official AWS SDK writes, so it can resume the execution.

    Primitives and lists of primitives are plain JSON, everything else the envelope, byte for
    byte as the official SDK writes them, but for non-ASCII text, which is written as UTF-8
    rather than escaped (the official SDK reads both). Its limits come too: sets are refused,
    and dict keys that are None, bool, int or float are written as strings (they read back as
    strings).
    Pydantic models are written as their JSON dump, which it reads as a dict; a dataclass, the
    value or inside it, needs ``result_type`` (as for ``JsonSerDes``).

    Args:
        result_type: The type to rebuild on read, as for ``JsonSerDes``.

    Raises:
        ValidationError: pydantic cannot build a validator for ``result_type``.

    """

    __slots__ = ()

    def _write(self, value: Any) -> str:
        if is_model(value):
            value = self._model_data(value)
        if is_official_primitive(value):
            return ENVELOPE_JSON.encode(value)
        typed = self._adapter is not None  # only then is a dataclass inside written
        return ENVELOPE_JSON.encode(encode_envelope(value, extended=False, dump_dataclasses=typed))


class PassThroughSerDes:
    """Text as it is, as the official SDK's; a None is written as no payload (writes_no_payload)."""

    __slots__ = ()

    def serialize(self, value: str, context: SerDesContext, /) -> str:
        """Return ``value`` itself.

        Raises:
            SerDesError: ``value`` is not a str.

        """
        checked: object = value  # the annotation is a promise a caller may break
        if not isinstance(checked, str):
            message = f"PassThroughSerDes writes str values only, not {type_name(value)!r}"
            raise SerDesError(message, **payload_location(context))
        return value

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        """Return ``payload`` itself."""
        return payload


DEFAULT_SERDES: JsonSerDes[Any] = JsonSerDes()
"""The serializer used when none is configured."""


def writes_no_payload(serdes: object, value: object) -> bool:
    """Tell whether ``value`` is recorded with no payload: a None under ``PassThroughSerDes``.

    As the official SDK records it, whichever operation writes it (``serdes.write_optional``): no
    payload reads back as None, where any text reads as a str.
    """
    return value is None and isinstance(serdes, PassThroughSerDes)


def reads_plainly(serdes: object) -> bool:
    """Tell whether ``serdes`` reads every payload exactly as ``read_payload`` does.

    True when ``serdes`` is a built-in serializer whose ``plain_reader`` is ``read_payload``
    (``JsonSerDes`` and ``EnvelopeSerDes`` without a ``result_type``, ``DEFAULT_SERDES``
    among them, and subclasses that keep their ``deserialize``).
    """
    return isinstance(serdes, _StandardSerDes) and serdes._reader is not None


def reads_back_unchanged(serdes: object, value: Any) -> bool:
    """Tell whether ``serdes`` writes ``value`` as ``write_plain_json`` and reads back ``value``.

    Reads back ``value`` itself: same type, same value. True for None, bool, int, str and finite
    floats (JSON writes their shortest exact repr) under an untyped ``JsonSerDes`` whose
    ``serialize`` and ``deserialize`` are its own, so that a caller may write such a value with
    ``write_plain_json`` and skip reading it back. An IntEnum, a str subclass or a container
    reads back as something else, and takes the long way.
    """
    if not isinstance(serdes, _StandardSerDes) or not serdes._plain_writes:
        return False  # only JsonSerDes writes plainly (see _StandardSerDes.__init__)
    kind = type(value)
    if kind is int:
        # An int too long for Python to write as text takes the long way, to its clear error.
        return value.bit_length() <= _SURELY_WRITABLE_INT_BITS  # type: ignore[no-any-return]
    return kind in _SCALAR_JSON or (kind is float and math.isfinite(value))


# 2**14_000 has 4,215 digits: an int of at most these bits is within Python's default limit.
_SURELY_WRITABLE_INT_BITS = 14_000


def write_plain_json(value: Any) -> str:
    """Return ``value`` as ``JsonSerDes`` writes it, for a value known to be plain JSON already.

    For callers that know what they built (only str keys, and str, int, bool, None or finite
    float leaves, no top-level envelope look-alike): the same text, without the walk that
    ``JsonSerDes`` makes to find out.
    """
    scalar = _SCALAR_JSON.get(type(value))
    if scalar is not None:
        return scalar(value)
    return _PLAIN_JSON.encode(value)


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
