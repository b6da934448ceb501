"""The ``Logger`` port over structlog, the default logging backend.

How events are rendered is structlog's configuration, which belongs to the application: this module
never configures structlog on import. ``configure_default_logging`` is offered for applications that
want a sensible Lambda setup in one call: one JSON object per line on stdout, which CloudWatch Logs
stores and queries as structured fields.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Protocol, TextIO

__all__ = ["StructlogLogger", "configure_default_logging"]


class _BoundLogger(Protocol):
    """The part of a structlog bound logger this adapter uses (any wrapper class has it)."""

    def bind(self, **new_values: Any) -> Any: ...
    def debug(self, event: str, **kw: Any) -> Any: ...
    def info(self, event: str, **kw: Any) -> Any: ...
    def warning(self, event: str, **kw: Any) -> Any: ...
    def error(self, event: str, **kw: Any) -> Any: ...
    def exception(self, event: str, **kw: Any) -> Any: ...


class StructlogLogger:
    """Structured events through structlog, with the fields the SDK binds.

    ``bind`` maps onto structlog's own ``bind``, so ``execution_arn``, ``operation_id``,
    ``parent_id`` and ``attempt`` bound by the SDK appear as keys of every event a step logs.

    Args:
        logger: A structlog bound logger; ``structlog.get_logger()`` when omitted, so whatever the
            application configured applies.

    Example:
        >>> from structlog.testing import capture_logs
        >>> with capture_logs() as events:
        ...     StructlogLogger().bind(operation_id="op-1").info("charged", amount=3)
        >>> events
        [{'operation_id': 'op-1', 'amount': 3, 'event': 'charged', 'log_level': 'info'}]

    """

    # structlog (about 9 ms to import) is imported by the first event, not with this module, and
    # fields bound before it are kept here until then: an invocation that logs nothing, the
    # common case, never imports it. ``structlog.get_logger()`` is itself lazy (it reads the
    # configuration at the first bind or event), so the events come out the same.
    __slots__ = ("_fields", "_logger")

    def __init__(self, logger: _BoundLogger | None = None) -> None:
        self._logger: _BoundLogger | None = logger
        self._fields: dict[str, object] | None = None

    def bind(self, **fields: object) -> StructlogLogger:
        """Return a logger that adds ``fields`` to every event.

        Args:
            **fields: Fields to bind.

        Returns:
            A new ``StructlogLogger``; this one is unchanged.

        """
        bound = StructlogLogger(self._logger)
        bound._fields = {**self._fields, **fields} if self._fields else fields
        return bound

    def _bound(self) -> _BoundLogger:
        """Return the structlog logger with every field bound so far, made on the first event."""
        logger = self._logger
        fields = self._fields
        if logger is None:
            import structlog

            logger = structlog.get_logger()
        if fields:
            logger = logger.bind(**fields)
        # Logger first, then fields: a thread reading in between binds the same fields again
        # (the same events), never logs without them.
        self._logger = logger
        self._fields = None
        return logger

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        self._bound().debug(event, **fields)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        self._bound().info(event, **fields)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        self._bound().warning(event, **fields)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        self._bound().error(event, **fields)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled."""
        self._bound().exception(event, **fields)


def configure_default_logging(
    level: int | str = logging.INFO, stream: TextIO | None = None
) -> None:
    """Configure structlog globally to write one JSON object per line, as CloudWatch expects.

    Each line carries ``event``, ``level``, an ISO-8601 UTC ``timestamp``, the bound fields, any
    context variables bound with ``structlog.contextvars``, and an ``exception`` list for events
    logged with ``exception``. Call it once at start-up if you have no structlog setup of your own;
    it replaces any previous structlog configuration.

    Args:
        level: The lowest level written (``logging.INFO`` or ``"info"`` by default).
        stream: Where lines go; ``sys.stdout`` (what Lambda forwards to CloudWatch) when omitted.

    Example:
        >>> configure_default_logging("debug")  # doctest: +SKIP

    """
    import structlog

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout if stream is None else stream),
        cache_logger_on_first_use=False,
    )
