r"""Serializers: how results, inputs and callback payloads become checkpoint strings and back.

Two wire formats are read everywhere and written by choice:

* plain JSON (``{"ok":3}``), readable in any history viewer; and
* the official AWS SDK's extended-type envelope, ``{"t": tag, "v": value}``, in which every
  nested value is wrapped too (``{"t":"m","v":{"ok":{"t":"i","v":3}}}``), so a datetime, a
  Decimal, bytes or a tuple survives the trip.

``JsonSerDes`` (the default) writes plain JSON whenever JSON carries the value exactly and the
envelope otherwise; ``EnvelopeSerDes`` writes what the official SDK writes, so an execution can
move back to it. Both read either format. Compact separators match the official SDK, so both
write the same bytes it does for primitives and lists of them, but for non-ASCII text: that is
written as UTF-8 (``"café"``), where the official SDK writes escapes (``"caf\u00e9"``), because
the service limits a payload's UTF-8 bytes and an escape takes three to six times as many.
Either reads the other's. The envelope itself is encoded and decoded by
``durable_lambda.core.envelope``.

This module is the door. ``read_value`` and ``write_value`` are the one read and the one write
every operation uses for what it checkpoints: they take a built-in serializer's fast lane where it
offers one (its ``plain_reader`` and ``plain_text`` methods), and otherwise ``deserialize`` and
``serialize``, which run any serializer, a user's own included, and turn whatever it raises into
a located ``SerDesError``, but for an ``InvocationError`` (``SerDesUnavailableError``: the
serializer could not reach its store, for now), which passes unchanged and is held for the
invocation (``RetryHold``) so that it ends the invocation for Lambda to retry even if user code
catches it. It re-exports the serializer port (``SerDes``, ``SerDesContext``,
defined with the core's other ports in ``durable_lambda.core.ports``), the built-in serializers
(``durable_lambda.core.serializers``) and the payload helpers (``durable_lambda.core.payloads``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, overload

from typing_extensions import TypeVar

from durable_lambda.core.envelope import type_name
from durable_lambda.core.errors import DurableExecutionError, InvocationError, SerDesError
from durable_lambda.core.payloads import (
    describe_payload,
    int_limit_exceeded,
    payload_location,
    payload_size,
)
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.serializers import (
    DEFAULT_SERDES,
    EnvelopeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    _StandardSerDes,
    reads_back_unchanged,
    reads_plainly,
    serdes_for_type,
    write_plain_json,
    writes_no_payload,
)

__all__ = [
    "DEFAULT_SERDES",
    "EnvelopeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "RetryHold",
    "SerDes",
    "SerDesContext",
    "Written",
    "deserialize",
    "holding_retries",
    "int_limit_exceeded",
    "payload_size",
    "plain_reader_of",
    "read_value",
    "reads_back_unchanged",
    "reads_plainly",
    "serdes_for_type",
    "serialize",
    "write_optional",
    "write_plain_json",
    "write_value",
    "writes_no_payload",
]

T = TypeVar("T", default=Any)


class RetryHold:
    """The first ``InvocationError`` a serializer raised in an invocation, kept to end it.

    A serializer's temporary failure (``SerDesUnavailableError``) must end the invocation for
    Lambda to retry even when user code catches it (``try``/``except Exception`` around a step,
    ``asyncio.gather(..., return_exceptions=True)``): the code that caught it would otherwise
    go on as if the operation had failed for good, and what it checkpoints then (a fallback
    step, a child context's other result) would contradict the replay of the retry. So the
    error is held here when it passes ``serialize`` or ``deserialize``, as a failed checkpoint
    call is held by the checkpointer, and ``on_hold`` is told once, when the first one comes.

    Args:
        on_hold: Called with the first error held (the runtime refuses every later checkpoint).
    """

    __slots__ = ("_on_hold", "error")

    def __init__(self, on_hold: Callable[[InvocationError], None] | None = None) -> None:
        self.error: InvocationError | None = None
        """The first error held, or None."""
        self._on_hold = on_hold

    def hold(self, error: InvocationError) -> None:
        """Keep ``error`` unless an earlier one is kept; tell ``on_hold`` about the first."""
        if self.error is None:
            self.error = error
            if self._on_hold is not None:
                self._on_hold(error)


# The hold of the running invocation. A context variable, because serializers are called with
# a payload and a SerDesContext only, far below anything that knows the invocation; it is set
# in the invocation's task before the handler starts, so that every task and body thread the
# handler starts (each gets a copy of the context) sees the same hold.
_RETRY_HOLD: ContextVar[RetryHold | None] = ContextVar("durable_lambda_retry_hold", default=None)


@contextlib.contextmanager
def holding_retries(hold: RetryHold) -> Iterator[RetryHold]:
    """Hold, in ``hold``, every ``InvocationError`` a serializer raises within the block."""
    token = _RETRY_HOLD.set(hold)
    try:
        yield hold
    finally:
        _RETRY_HOLD.reset(token)


def _locate(error: DurableExecutionError, context: SerDesContext) -> None:
    where = payload_location(context)
    error.operation_id = error.operation_id or where["operation_id"]
    error.execution_arn = error.execution_arn or where["execution_arn"]


def _passed_on(error: InvocationError, context: SerDesContext) -> None:
    """Locate a serializer's ``InvocationError`` and hold it for the running invocation."""
    _locate(error, context)
    hold = _RETRY_HOLD.get()
    if hold is not None:
        hold.hold(error)


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
        InvocationError: the serializer raised one (``SerDesUnavailableError``): unchanged,
            located, and held for the invocation (see ``RetryHold``).

    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    try:
        payload: object = active.serialize(value, context)
    except SerDesError as error:
        _locate(error, context)
        raise
    except InvocationError as error:
        _passed_on(error, context)
        raise
    except Exception as error:
        message = f"{active!r} failed to serialize a value of type {type_name(value)!r}: {error!r}"
        raise SerDesError(message, **payload_location(context)) from error
    if not isinstance(payload, str):
        message = f"{active!r} returned {type_name(payload)!r} from serialize, not a str"
        raise SerDesError(message, **payload_location(context))
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
        InvocationError: the serializer raised one (``SerDesUnavailableError``): unchanged,
            located, and held for the invocation (see ``RetryHold``).

    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    try:
        return active.deserialize(payload, context)
    except SerDesError as error:
        _locate(error, context)
        raise
    except InvocationError as error:
        _passed_on(error, context)
        raise
    except Exception as error:
        message = f"{active!r} failed to deserialize payload {describe_payload(payload)}: {error!r}"
        raise SerDesError(message, **payload_location(context)) from error


def plain_reader_of(serdes: object) -> Callable[[str], Any] | None:
    """Return the fast lane ``read_value`` takes for ``serdes`` (its ``plain_reader``), or None.

    For callers that read many payloads with one serializer and look the lane up once.
    """
    return serdes.plain_reader() if isinstance(serdes, _StandardSerDes) else None


def read_value(
    serdes: SerDes[Any] | None, payload: str, operation_id: str, execution_arn: str
) -> Any:
    """Read a stored payload of ``operation_id``: the one read every operation uses.

    A built-in serializer's ``plain_reader`` reads it when it offers one, without a context or
    the error wrapping; a payload that lane cannot read, and every payload of any other
    serializer, goes through ``deserialize``.

    Raises:
        SerDesError: the payload cannot be read (located at the operation).
        InvocationError: the serializer could not read it for now (see ``deserialize``).
    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    reader = plain_reader_of(active)
    if reader is not None:
        try:
            return reader(payload)
        except (ValueError, TypeError, RecursionError):
            pass  # the long way, for the full error
    return deserialize(active, payload, SerDesContext(operation_id, execution_arn))


Written = tuple[str, bool]
"""What ``write_value`` returns: the payload to checkpoint, and whether reading it back gives the
value itself (then no read-back is needed)."""


def write_value(
    serdes: SerDes[Any] | None,
    value: Any,
    operation_id: str,
    execution_arn: str,
    *,
    known_plain: bool = False,
) -> Written:
    """Write ``value`` for ``operation_id``: the one write every operation uses.

    A built-in serializer's ``plain_text`` writes a lone scalar that reads back as itself (and,
    with ``known_plain``, a value the caller built of such scalars, which reads back equal);
    everything else goes through ``serialize``. What replay will see is ``value`` itself when
    ``same``, else ``read_value`` of the payload.

    Raises:
        SerDesError: the serializer cannot write ``value`` (located at the operation).
        InvocationError: the serializer could not write it for now (see ``serialize``).
    """
    active: SerDes[Any] = DEFAULT_SERDES if serdes is None else serdes
    if isinstance(active, _StandardSerDes):
        text = active.plain_json(value) if known_plain else active.plain_text(value)
        if text is not None:
            return text, True
    return serialize(active, value, SerDesContext(operation_id, execution_arn)), False


def write_optional(
    serdes: SerDes[Any] | None,
    value: Any,
    operation_id: str,
    execution_arn: str,
    *,
    known_plain: bool = False,
) -> tuple[str | None, bool]:
    """``write_value``, or no payload where the official SDK writes none; for every operation.

    A None under ``PassThroughSerDes`` (``writes_no_payload``) is recorded without a payload,
    which every read gives back as None: ``(None, True)``. Anything else is ``write_value``'s.

    Raises:
        SerDesError: the serializer cannot write ``value`` (located at the operation).
    """
    if writes_no_payload(serdes, value):
        return None, True
    return write_value(serdes, value, operation_id, execution_arn, known_plain=known_plain)
