"""The ``Logger`` port over Powertools for AWS Lambda's ``Logger`` (the ``powertools`` extra).

For functions that already log with Powertools: the SDK's events go through the application's
own ``Logger``, with its service name, its formatter, its sampling and its Lambda context keys,
and the fields the SDK binds appear as the same camelCase keys the Lambda JSON format uses
(``executionArn``, ``operationId``, ``operationName``, ``parentId``, ``attempt``, ``requestId``).

Example:
    >>> from aws_lambda_powertools import Logger
    >>> @durable_execution(logger=PowertoolsLogger(Logger(service="orders")))
    ... async def handler(event, ctx): ...
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from durable_lambda.adapters.logging.lambda_logger import SDK_KEYS

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger as PowertoolsLoggerType

__all__ = ["PowertoolsLogger"]

# Keys a LogRecord already has (and Powertools' own): passing one as ``extra`` would fail or
# overwrite them, so such fields go under ``field_<name>``.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "level",
    "location",
    "timestamp",
    "service",
}
_RENAME_PREFIX = "field_"
# The user's call, through ReplayAwareLogger and this adapter: Powertools' location names it.
_STACKLEVEL = 4


class PowertoolsLogger:
    """Structured events through a Powertools ``Logger`` (see the module docstring).

    Args:
        logger: The application's ``aws_lambda_powertools.Logger``; a new one (service from
            ``POWERTOOLS_SERVICE_NAME``) when omitted.
        fields: Fields already bound (``bind`` fills this in).

    Raises:
        ImportError: Powertools is not installed (``pip install 'durable-lambda[powertools]'``).
    """

    __slots__ = ("_fields", "_logger")

    def __init__(
        self,
        logger: PowertoolsLoggerType | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> None:
        if logger is None:
            try:
                from aws_lambda_powertools import Logger
            except ImportError as error:
                raise ImportError(
                    "PowertoolsLogger needs Powertools for AWS Lambda: "
                    "pip install 'durable-lambda[powertools]'"
                ) from error
            logger = Logger()
        self._logger: Any = logger
        self._fields: dict[str, object] = dict(fields or {})

    @property
    def logger(self) -> PowertoolsLoggerType:
        """The wrapped Powertools ``Logger``."""
        wrapped: PowertoolsLoggerType = self._logger
        return wrapped

    def bind(self, **fields: object) -> PowertoolsLogger:
        """Return a logger that adds ``fields`` to every event.

        Args:
            **fields: Fields to bind.

        Returns:
            A new ``PowertoolsLogger`` over the same Powertools ``Logger``; this one is unchanged.
        """
        return PowertoolsLogger(self._logger, {**self._fields, **fields})

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        self._logger.debug(event, extra=self._extra(fields), stacklevel=_STACKLEVEL)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        self._logger.info(event, extra=self._extra(fields), stacklevel=_STACKLEVEL)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        self._logger.warning(event, extra=self._extra(fields), stacklevel=_STACKLEVEL)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        self._logger.error(event, extra=self._extra(fields), stacklevel=_STACKLEVEL)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled."""
        self._logger.exception(event, extra=self._extra(fields), stacklevel=_STACKLEVEL)

    def _extra(self, fields: Mapping[str, object]) -> dict[str, object]:
        extra: dict[str, object] = {}
        for key, value in {**self._fields, **fields}.items():
            sdk_key = SDK_KEYS.get(key)
            if sdk_key is not None:
                if value is not None:
                    extra[sdk_key] = value
            else:
                extra[_RENAME_PREFIX + key if key in _RESERVED else key] = value
        return extra
