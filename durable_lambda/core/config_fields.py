"""The validated field types the configuration models share (subtype, serializer, time-outs).

Each is an ``Annotated`` type whose validator states the service's rule, so a bad value fails
where it is given, naming the model and the field (see ``durable_lambda.core.config_base``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainValidator

from durable_lambda.core.duration import Duration
from durable_lambda.core.ports import SerDes

__all__ = ["AttemptTimeout", "CallbackTimeout", "Concurrency", "SerDesField", "SubTypeField"]

# The service's limit on CallbackOptions.TimeoutSeconds / HeartbeatTimeoutSeconds.
_MAX_CALLBACK_TIMEOUT_SECONDS = 99_999_999
_SUB_TYPE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _check_sub_type(value: str | None) -> str | None:
    """Apply the service's subtype rule; an empty string means the default, like None."""
    if not value:
        return None
    if not _SUB_TYPE_PATTERN.fullmatch(value):
        raise ValueError("must be 1 to 32 characters from A-Z, a-z, 0-9, '-' and '_'")
    return value


def _check_serdes(value: object) -> object:
    """Accept None or anything shaped like a SerDes (serialize and deserialize methods)."""
    if value is None:
        return None
    for method in ("serialize", "deserialize"):
        if not callable(getattr(value, method, None)):
            raise ValueError(
                "must be a SerDes with serialize(value, ctx) and deserialize(payload, ctx) "
                f"methods; {type(value).__name__} has no {method}()"
            )
    return value


def _check_attempt_timeout(value: Duration | timedelta | None) -> Duration | timedelta | None:
    """Refuse a step time-out that is not positive (None means no time-out)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value.seconds
    if not seconds > 0:
        raise ValueError("must be longer than 0 seconds (None for no time-out)")
    return value


def _check_callback_timeout(value: Duration) -> Duration:
    """Reject a timeout the service would refuse."""
    if value.seconds > _MAX_CALLBACK_TIMEOUT_SECONDS:
        raise ValueError(f"must be at most {_MAX_CALLBACK_TIMEOUT_SECONDS} seconds")
    return value


SerDesField = Annotated[SerDes[Any] | None, PlainValidator(_check_serdes)]
"""A serializer, or None for the execution's default; checked by its shape, with a message
naming the missing method."""
SubTypeField = Annotated[str | None, AfterValidator(_check_sub_type)]
Concurrency = Annotated[int, Field(ge=1)] | None
CallbackTimeout = Annotated[Duration, AfterValidator(_check_callback_timeout)]
AttemptTimeout = Annotated[Duration | timedelta | None, AfterValidator(_check_attempt_timeout)]
