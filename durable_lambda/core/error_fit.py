"""Error objects that fit: the service refuses one over 32,768 bytes, so the SDK trims its own.

An error object is measured as the strictest reader known measures it: the length of its JSON
with every non-ASCII character escaped and ``", "`` / ``": "`` separators, which is what the
official emulator counts. That is never less than the UTF-8 size of its compact JSON (what the
service counts), so an error object that fits here fits everywhere.

One that does not fit is trimmed, the field that loses least first:

1. the stack trace: its first entries (where the failing call came from) and as many of its
   last, innermost entries (where it failed) as fit are kept, with one entry in their place
   saying how many were left out;
2. then ``ErrorData``, then the message: their start is kept, followed by a marker saying
   that the text was trimmed and how long it was;
3. the type last, and only if nothing else is left to trim.

While a later field can still give way, a field keeps at least its floor (4 KiB of stack trace,
4 KiB of data, 8 KiB of message), so that a 100,000-character message still leaves the
innermost frames of the trace. Text that UTF-8 cannot carry (a lone surrogate, as a file name
decoded with ``surrogateescape`` holds) is written as a backslash escape, so that every store and
every JSON encoder can hold the error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from durable_lambda.core.envelope import utf8_encodable
from durable_lambda.core.model import ErrorObject

__all__ = ["MAX_ERROR_BYTES", "error_object_size", "fit_error_object", "utf8_safe"]

MAX_ERROR_BYTES = 32_768
"""The largest error object the service accepts, in bytes of JSON."""

_TRACE, _DATA, _MESSAGE, _TYPE = "StackTrace", "ErrorData", "ErrorMessage", "ErrorType"
# The order fields give way in, and what each keeps while a later one can still give way.
_TRIM_ORDER = (_TRACE, _DATA, _MESSAGE, _TYPE)
# The type is trimmed only in the second pass, when every other field has given all it can.
_FLOORS = {_TRACE: 4096, _DATA: 4096, _MESSAGE: 8192}
_NO_FLOORS = dict.fromkeys(_TRIM_ORDER, 0)
# The share of a trimmed stack trace kept for its first (outermost) entries.
_HEAD_SHARE = 4
# An innermost entry is cut to fit only if this much of it can be kept; else it goes whole.
_MIN_CUT_ENTRY = 256

_Fields = dict[str, "str | tuple[str, ...]"]


def utf8_safe(text: str) -> str:
    r"""Return ``text``, with any lone surrogate written as a backslash escape (``\udce9``).

    UTF-8 cannot carry a lone surrogate: a JSON encoder that writes UTF-8 (pydantic's, the file
    store's) refuses the whole text. ASCII text, and all other text, is returned as it is.
    """
    if utf8_encodable(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_size(value: object) -> int:
    # The emulator's measure: ASCII escapes and the default separators.
    return len(json.dumps(value))


def _fields(error: ErrorObject) -> _Fields:
    fields: _Fields = {}
    for name in (_TYPE, _MESSAGE, _DATA):
        value = getattr(error, name)
        if value is not None:
            fields[name] = utf8_safe(value)
    if error.StackTrace is not None:
        fields[_TRACE] = tuple(utf8_safe(entry) for entry in error.StackTrace)
    return fields


def error_object_size(error: ErrorObject) -> int:
    """Return the size of ``error`` as the strictest reader measures it (see the module doc)."""
    return _size(_fields(error))


def fit_error_object(error: ErrorObject, limit: int = MAX_ERROR_BYTES) -> ErrorObject:
    """Return ``error`` trimmed to at most ``limit`` bytes, saying in each field what was cut.

    An error that fits comes back as it is (with any lone surrogate escaped); see the module
    docstring for what is kept of one that does not.

    Args:
        error: The error object to send.
        limit: The largest size allowed, measured as ``error_object_size`` measures it.

    Returns:
        An error object of at most ``limit`` bytes.
    """
    fields = _fields(error)
    size = _size(fields)
    if size <= limit:
        return error if _unchanged(error, fields) else _build(fields)
    for floors in (_FLOORS, _NO_FLOORS):
        for name in _TRIM_ORDER:
            value = fields.get(name)
            if value is None or name not in floors:
                continue
            current = _value_size(value)
            room = max(floors[name], limit - (size - current))
            if current <= room:
                continue
            if isinstance(value, tuple):
                fields[name] = _cut_trace(value, room, limit)
            else:
                fields[name] = _cut_text(value, room, _what(name), limit)
            size = _size(fields)
            if size <= limit:
                return _build(fields)
    # Only a limit smaller than the markers themselves gets here: keep what says what happened.
    marker = f"[error object trimmed: it must fit in {limit} bytes]"
    return ErrorObject(ErrorMessage=marker[: max(limit - 20, 0)])


def _build(fields: _Fields) -> ErrorObject:
    trace = fields.get(_TRACE)
    return ErrorObject(
        ErrorType=_text(fields.get(_TYPE)),
        ErrorMessage=_text(fields.get(_MESSAGE)),
        ErrorData=_text(fields.get(_DATA)),
        StackTrace=trace if isinstance(trace, tuple) else None,
    )


def _text(value: str | tuple[str, ...] | None) -> str | None:
    return value if isinstance(value, str) else None


def _unchanged(error: ErrorObject, fields: _Fields) -> bool:
    trace = fields.get(_TRACE)
    return (
        fields.get(_TYPE) == error.ErrorType
        and fields.get(_MESSAGE) == error.ErrorMessage
        and fields.get(_DATA) == error.ErrorData
        and (trace is None or trace == error.StackTrace)
    )


def _size(fields: _Fields) -> int:
    return _json_size(
        {name: list(value) if isinstance(value, tuple) else value for name, value in fields.items()}
    )


def _value_size(value: str | tuple[str, ...]) -> int:
    return _json_size(list(value) if isinstance(value, tuple) else value)


def _what(name: str) -> str:
    return {_DATA: "error data", _MESSAGE: "message", _TYPE: "error type"}[name]


def _cut_text(text: str, room: int, what: str, limit: int) -> str:
    """Return the start of ``text`` and a marker, at most ``room`` bytes as a JSON string.

    When even the marker alone is larger than ``room``, the marker alone is returned.
    """
    marker = (
        f"... [{what} trimmed to fit the {limit}-byte error limit; {len(text)} characters in all]"
    )
    fixed = _json_size(marker)  # with its two quotes, which the kept start shares
    # The largest kept start that fits, by bisection: each character takes at least one byte.
    low, high = 0, min(len(text), max(room - fixed, 0))
    while low < high:
        middle = (low + high + 1) // 2
        if _json_size(text[:middle]) - 2 + fixed <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low] + marker


def _cut_trace(trace: Sequence[str], room: int, limit: int) -> tuple[str, ...]:
    """Return the first and last entries of ``trace`` that fit in ``room`` bytes of JSON list.

    One entry takes the place of those left out and says how many they are. When even the
    innermost entry alone does not fit, its start is kept (it often holds the whole message).
    """
    count = len(trace)
    marker = (
        f"... {{}} of {count} stack trace entries left out to fit the {limit}-byte error limit ..."
    )
    # Room for the entries: less the brackets and the marker (with the most digits it can have).
    budget = room - 2 - (_json_size(marker.format(count)) + 2)
    if budget <= 0:
        return (marker.format(count),)
    # Each kept entry takes its JSON string and a ", " separator.
    costs = [_json_size(entry) + 2 for entry in trace]
    used = head = 0
    while head < count and used + costs[head] <= budget // _HEAD_SHARE:
        used += costs[head]
        head += 1
    tail = 0
    while head + tail < count and used + costs[count - 1 - tail] <= budget:
        used += costs[count - 1 - tail]
        tail += 1
    last: list[str] = list(trace[count - tail :]) if tail else []
    if not tail and head < count and budget - used - 2 >= _MIN_CUT_ENTRY:
        last = [_cut_text(trace[-1], budget - used - 2, "entry", limit)]
        tail = 1
    left_out = count - head - tail
    middle = [marker.format(left_out)] if left_out else []
    return (*trace[:head], *middle, *last)
