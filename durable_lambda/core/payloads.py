"""Payload text: its size as the service counts it, and how an error names and shows one.

Shared by the built-in serializers (``core/serializers.py``) and the guarded calls that run any
serializer (``core/serdes.py``).
"""

from __future__ import annotations

import sys

from durable_lambda.core.ports import SerDesContext

__all__ = ["describe_payload", "int_limit_exceeded", "payload_location", "payload_size"]

_PREVIEW_CHARS = 80


def payload_location(context: SerDesContext) -> dict[str, str | None]:
    """Return where a payload belongs, as the keyword arguments of ``SerDesError``."""
    return {
        "operation_id": context.operation_id or None,
        "execution_arn": context.durable_execution_arn or None,
    }


def int_limit_exceeded(error: BaseException) -> int | None:
    """Return Python's digit limit if ``error`` is its int <-> text conversion refusing, else None.

    Python refuses to turn an int of more than ``sys.get_int_max_str_digits()`` digits (4,300
    unless changed) into text or back, with a bare ``ValueError``; a caller names the limit.
    """
    # CPython's words for both directions; the limit is the interpreter's current one.
    if isinstance(error, ValueError) and "integer string conversion" in str(error):
        return sys.get_int_max_str_digits()
    return None


def payload_size(payload: str) -> int:
    """Return the size of ``payload`` as the service measures it: its bytes in UTF-8.

    What the payload limits (256 KiB an operation) count: ``len`` counts characters, and an
    accented letter takes two bytes, an emoji four. A lone surrogate, which a serializer of the
    user's may write, counts three bytes instead of failing.
    """
    if payload.isascii():  # one byte a character, known without encoding
        return len(payload)
    return len(payload.encode("utf-8", "surrogatepass"))


def describe_payload(payload: object) -> str:
    """Return the start of ``payload`` for an error message, with its length when cut."""
    text = payload if isinstance(payload, str) else repr(payload)
    if len(text) <= _PREVIEW_CHARS:
        return repr(text)
    return f"{text[:_PREVIEW_CHARS]!r}... ({len(text)} characters)"
