"""The official SDK's logger interface (``logger.info("order %s", order_id, extra={...})``).

Handlers written for the official SDK log through a standard-library-shaped logger: a message
with ``%`` arguments and an ``extra`` mapping. durable-lambda's loggers are structured
(``logger.info(event, **fields)``); ``StdlibStyleLogger`` takes the first form and emits the
second, so the events land in the same place (bound to the execution and the operation, silent
while replaying). ``ReplaySilencedLogger`` wraps a logger given to ``set_logger``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from durable_lambda.core.ports import Logger

__all__ = ["ReplaySilencedLogger", "StdlibStyleLogger"]


def _event(msg: object, args: tuple[object, ...]) -> str:
    text = str(msg)
    if not args:
        return text
    try:
        return text % args
    except (TypeError, ValueError):  # as logging does not fail on a bad format: keep both
        return f"{text} {args!r}"


class StdlibStyleLogger:
    """A structured logger used with the standard library's call shape.

    Args:
        inner: The structured logger events go to.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: Logger) -> None:
        self._inner = inner

    def _fields(self, extra: Mapping[str, object] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        fields = dict(extra or {})
        # exc_info and stack_info are the standard library's switches, not fields.
        fields.update({k: v for k, v in kwargs.items() if k not in ("exc_info", "stack_info")})
        return fields

    def debug(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None, **kw: Any
    ) -> None:
        """Log a debug event."""
        self._inner.debug(_event(msg, args), **self._fields(extra, kw))

    def info(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None, **kw: Any
    ) -> None:
        """Log an info event."""
        self._inner.info(_event(msg, args), **self._fields(extra, kw))

    def warning(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None, **kw: Any
    ) -> None:
        """Log a warning event."""
        self._inner.warning(_event(msg, args), **self._fields(extra, kw))

    def error(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None, **kw: Any
    ) -> None:
        """Log an error event."""
        self._inner.error(_event(msg, args), **self._fields(extra, kw))

    def exception(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None, **kw: Any
    ) -> None:
        """Log an error event with the exception being handled."""
        self._inner.exception(_event(msg, args), **self._fields(extra, kw))


class ReplaySilencedLogger:
    """A user's logger (``set_logger``), called only when the code is not replaying.

    Args:
        inner: Any logger with ``debug``/``info``/``warning``/``error``/``exception``.
        is_replaying: Tells whether the code is replaying now.
    """

    __slots__ = ("_inner", "_is_replaying")

    def __init__(self, inner: Any, is_replaying: Callable[[], bool]) -> None:
        self._inner = inner
        self._is_replaying = is_replaying

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if name not in ("debug", "info", "warning", "error", "exception"):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            return None if self._is_replaying() else method(*args, **kwargs)

        return call
