"""How many bytes an update takes in a checkpoint call's request body, bounded without rendering it.

The checkpointer keeps each call under the service's 750 KiB limit by adding these bounds as it
queues updates: estimating rather than rendering JSON keeps queueing cheap.
"""

from __future__ import annotations

import re

from durable_lambda.core.model import OperationUpdate

__all__ = ["estimated_size"]

# Everything an update carries besides its payload and error (ids, names, enums, JSON keys) fits
# well within this many bytes; estimating rather than rendering JSON keeps enqueueing cheap.
_UPDATE_OVERHEAD_BYTES = 512

# ASCII control characters (and DEL) that JSON writes as six-byte ``\u00XX`` escapes.
_SIX_BYTE_ASCII = re.compile("[\\x00-\\x07\\x0b\\x0e-\\x1f\\x7f]")


def estimated_size(update: OperationUpdate) -> int:
    """Return an upper bound of the update's size as JSON, in bytes, without rendering it."""
    size = _UPDATE_OVERHEAD_BYTES
    if update.Payload:
        size += _escaped_bound(update.Payload)
    if update.Error is not None:
        error = update.Error
        size += _escaped_bound(error.ErrorMessage or "") + _escaped_bound(error.ErrorData or "")
        size += sum(_escaped_bound(line) + 4 for line in error.StackTrace or ())
    return size


def _escaped_bound(text: str) -> int:
    r"""Bound the bytes ``text`` takes as a JSON string inside the request body.

    botocore writes the body with non-ASCII text escaped. Per character: printable ASCII takes at
    most two bytes (``"`` becomes ``\"``), an ASCII control character at most six (``\u0001``),
    any other six (``\uXXXX``, twelve for a surrogate pair). ``4 * utf8 - 2 * chars`` is at
    least that for every character (2, 6, 10 and 14 for UTF-8 lengths 1 to 4), so the bound
    needs one encode, and printable ASCII text (the common case) two scans in C and no search.
    """
    if text.isascii():
        if text.isprintable():  # no control character at all: the common case, one scan less
            return 2 * len(text)
        return 2 * len(text) + 4 * len(_SIX_BYTE_ASCII.findall(text))
    controls = len(_SIX_BYTE_ASCII.findall(text)) if _SIX_BYTE_ASCII.search(text) else 0
    return 4 * len(text.encode("utf-8", "surrogatepass")) - 2 * len(text) + 4 * controls
