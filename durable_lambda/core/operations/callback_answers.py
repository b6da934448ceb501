"""What reads a callback's answer, and what stores a ``wait_for_callback`` submitter's result.

An answer is external data: by default (``RAW_ANSWER``) it is handed over as the sender's text,
as the official SDK does, and never read as a payload of ours. ``PlainJsonSerDes`` is the explicit
way to decode it as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from durable_lambda.core.errors import SerDesError
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.serdes import PassThroughSerDes

__all__ = ["RAW_ANSWER", "PlainJsonSerDes", "submitter_serdes"]

RAW_ANSWER: SerDes[Any] = PassThroughSerDes()
"""What reads an answer when the config names no serializer: the text as the sender sent it."""


class PlainJsonSerDes:
    """Plain JSON both ways (``json.dumps`` / ``json.loads``), never our envelope.

    The explicit way to have a callback's answer decoded:
    ``CallbackConfig(serdes=PlainJsonSerDes())`` turns ``{"approved": true}`` into a dict, and
    an answer shaped like our envelope (``{"t": "d", "v": "1.50"}``) stays the dict it is. The
    official SDK's ``JsonSerDes`` does the same.

    Example:
        >>> PlainJsonSerDes().deserialize('{"t": "d", "v": "1.50"}', SerDesContext("op", "arn"))
        {'t': 'd', 'v': '1.50'}
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "PlainJsonSerDes()"

    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        """Return ``value`` as JSON text.

        Raises:
            SerDesError: ``value`` is not JSON data.
        """
        try:
            return json.dumps(value, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as error:
            raise SerDesError(
                f"PlainJsonSerDes writes JSON data only: {error}",
                operation_id=context.operation_id or None,
                execution_arn=context.durable_execution_arn or None,
            ) from None

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        """Return the value of the JSON text ``payload``.

        Raises:
            SerDesError: ``payload`` is not JSON (a plain-text answer, say).
        """
        try:
            return json.loads(payload)
        except ValueError as error:
            raise SerDesError(
                f"the answer {payload[:80]!r} is not JSON ({error}); leave the callback's "
                "serdes unset to receive the answer as text",
                operation_id=context.operation_id or None,
                execution_arn=context.durable_execution_arn or None,
            ) from None


class _SubmitterResult:
    """Stores a submitter's result with the callback's serializer; None always as ``null``.

    The official SDK stores a None result with no payload whatever the serializer; a serializer
    here must write text, and ``PassThroughSerDes`` (the official SDK's choice for raw answers)
    writes only text, so None would fail a submitter that returns nothing. The result is never
    read back by ``wait_for_callback``.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: SerDes[Any]) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return repr(self._inner)

    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        """Write ``value`` with the callback's serializer, or None as ``null``."""
        return "null" if value is None else self._inner.serialize(value, context)

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        """Read ``payload`` as written (``null`` is None)."""
        return None if payload == "null" else self._inner.deserialize(payload, context)


def submitter_serdes(serdes: SerDes[Any] | None) -> SerDes[Any] | None:
    """Return what stores a submitter's result, given the callback's serializer (None: default)."""
    return None if serdes is None else _SubmitterResult(serdes)
