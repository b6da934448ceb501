"""The ``Logger`` port over the standard library's ``logging``.

For applications that already route everything through ``logging`` (handlers, filters, a JSON
formatter of their own). Fields travel as the record's ``extra``, so they become attributes of the
``LogRecord`` that formatters and filters can read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

__all__ = ["StdlibLogger"]

# Attributes every LogRecord has: ``logging`` refuses an ``extra`` that would overwrite one of them
# (``KeyError: "Attempt to overwrite 'name' in LogRecord"``), so such fields are renamed.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_RENAME_PREFIX = "field_"


class StdlibLogger:
    """Structured events through a ``logging.Logger``, fields passed as ``extra``.

    A field whose name a ``LogRecord`` already uses (``name``, ``msg``, ``module``...) is passed as
    ``field_<name>`` instead, since ``logging`` would reject it.

    Args:
        logger: The logger to write to; ``logging.getLogger("durable_lambda")`` when omitted.
        fields: Fields already bound (``bind`` fills this in; rarely given directly).

    Example:
        >>> import logging
        >>> log = StdlibLogger(logging.getLogger("orders")).bind(operation_id="op-1")
        >>> log.info("charged", amount=3)  # record.operation_id == "op-1", record.amount == 3

    """

    __slots__ = ("_fields", "_logger")

    def __init__(
        self, logger: logging.Logger | None = None, fields: Mapping[str, object] | None = None
    ) -> None:
        self._logger = logging.getLogger("durable_lambda") if logger is None else logger
        self._fields: dict[str, object] = dict(fields or {})

    @property
    def logger(self) -> logging.Logger:
        """The wrapped ``logging.Logger``."""
        return self._logger

    def bind(self, **fields: object) -> StdlibLogger:
        """Return a logger that adds ``fields`` to every event.

        Args:
            **fields: Fields to bind.

        Returns:
            A new ``StdlibLogger`` over the same ``logging.Logger``; this one is unchanged.

        """
        return StdlibLogger(self._logger, {**self._fields, **fields})

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled (``exc_info``)."""
        self._log(logging.ERROR, event, fields, exc_info=True)

    def _log(
        self, level: int, event: str, fields: Mapping[str, object], exc_info: bool = False
    ) -> None:
        if not self._logger.isEnabledFor(level):
            return
        extra = {
            (_RENAME_PREFIX + key if key in _RESERVED else key): value
            for key, value in {**self._fields, **fields}.items()
        }
        # stacklevel 3 points the record's file and line at our caller, not at this adapter.
        self._logger.log(level, event, exc_info=exc_info or None, extra=extra, stacklevel=3)
