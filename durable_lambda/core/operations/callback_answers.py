"""What reads a callback's answer.

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

__all__ = ["RAW_ANSWER", "PlainJsonSerDes"]

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
