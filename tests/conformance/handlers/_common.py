"""What the conformance handlers share: log output as Lambda's JSON format shows it, and errors.

The requirements select log records the way their CloudWatch filter does: JSON objects whose
``executionArn`` (or ``durableExecutionArn``) is the execution's ARN, with the text under
``message``. durable-lambda binds ``execution_arn`` and structlog names the text ``event``, so
the handlers configure structlog to write those two keys under the names the filter reads.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["TransientError", "configure_json_logs", "uppercase_serdes"]

from durable_lambda import SerDesContext


class TransientError(Exception):
    """An error a retry strategy may choose to retry."""


def _lambda_keys(_logger: object, _method: str, event: MutableMapping[str, Any]) -> Any:
    event["message"] = event.pop("event", "")
    if "execution_arn" in event:
        event["executionArn"] = event.pop("execution_arn")
    return event


def configure_json_logs() -> None:
    """Write every structlog event as one JSON line on stdout (Lambda's JSON log format)."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _lambda_keys,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )


class _UppercaseSerDes:
    """Writes a string upper-cased, as raw text (not JSON); reads the text back unchanged."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return str(value).upper()

    def deserialize(self, payload: str, context: SerDesContext, /) -> object:
        return payload


uppercase_serdes = _UppercaseSerDes()
"""A serializer that upper-cases string values (requirements 1-6 and 3-14)."""
