"""The ``Logger`` port in Lambda's own log formats: JSON or text, as the function is configured.

Lambda's advanced logging controls set ``AWS_LAMBDA_LOG_FORMAT`` (``JSON`` or ``Text``) and, with
JSON, ``AWS_LAMBDA_LOG_LEVEL``. In JSON format each event is one JSON object per line with the
keys Lambda's own JSON lines and CloudWatch Logs Insights filters use: ``timestamp``, ``level``,
``message``, ``requestId``, then the SDK's ``executionArn``, ``operationId``, ``operationName``,
``parentId``, ``attempt``, then every key the code bound or passed. In text format a line reads
``[INFO] <timestamp> <request id> <message>`` (tab-separated) followed by ``key=value`` pairs (a
trace stays on the line, its line breaks written as carriage returns). The lowest level written
is ``AWS_LAMBDA_LOG_LEVEL``, else ``LOG_LEVEL``, else ``INFO``.

It needs no logging library (nothing is imported at cold start beyond the standard library),
and is what ``@durable_execution`` functions log through on Lambda unless the application chose
another logger or configured structlog itself.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from durable_lambda.core.errors import ValidationError

__all__ = ["LEVELS", "SDK_KEYS", "LambdaLogFormat", "LambdaLogger", "lambda_log_format"]

LEVELS: dict[str, int] = {
    "TRACE": 5,
    "DEBUG": 10,
    "INFO": 20,
    "WARN": 30,
    "WARNING": 30,
    "ERROR": 40,
    "FATAL": 50,
    "CRITICAL": 50,
}
"""Level names Lambda and Python use, by severity (``LOG_LEVEL`` accepts any of them)."""

_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR"}

SDK_KEYS: dict[str, str] = {
    "request_id": "requestId",
    "execution_arn": "executionArn",
    "operation_id": "operationId",
    "operation_name": "operationName",
    "parent_id": "parentId",
    "attempt": "attempt",
}
"""The fields the SDK binds, and the key each is written under (Lambda's camelCase)."""

_RESERVED = frozenset({"timestamp", "level", "message"})
_RENAME_PREFIX = "field_"


class LambdaLogFormat:
    """How the function's logs are configured: JSON or text, and the lowest level written.

    Args:
        json_format: Write one JSON object per line (else text lines).
        level: The lowest level written (a value of ``LEVELS``).
    """

    __slots__ = ("json_format", "level")

    def __init__(self, json_format: bool, level: int) -> None:
        self.json_format = json_format
        self.level = level

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LambdaLogFormat:
        """Read ``AWS_LAMBDA_LOG_FORMAT``, ``AWS_LAMBDA_LOG_LEVEL`` and ``LOG_LEVEL``.

        Raises:
            ValidationError: a level variable names no level.
        """
        env = os.environ if environ is None else environ
        json_format = env.get("AWS_LAMBDA_LOG_FORMAT", "").strip().upper() == "JSON"
        level = LEVELS["INFO"]
        for variable in ("AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"):
            value = env.get(variable, "").strip()
            if value:
                level = _level(value, variable)
                break
        return cls(json_format, level)


def lambda_log_format(environ: Mapping[str, str] | None = None) -> LambdaLogFormat:
    """Return the log format the environment configures (see ``LambdaLogFormat``)."""
    return LambdaLogFormat.from_environment(environ)


def _level(value: str, variable: str) -> int:
    level = LEVELS.get(value.upper())
    if level is None:
        names = ", ".join(LEVELS)
        raise ValidationError(
            f"{variable}={value!r} is not a log level (one of {names})", field=variable
        )
    return level


class LambdaLogger:
    """Structured events written as Lambda writes its own lines (see the module docstring).

    Args:
        log_format: JSON or text, and the lowest level; read from the environment when omitted.
        stream: Where lines go; ``sys.stdout`` (what Lambda sends to CloudWatch) when omitted.
        fields: Fields already bound (``bind`` fills this in).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> logger = LambdaLogger(LambdaLogFormat(json_format=True, level=20), out)
        >>> logger.bind(request_id="r-1", operation_id="op-1").info("charged", amount=3)
        >>> sorted(json.loads(out.getvalue()))
        ['amount', 'level', 'message', 'operationId', 'requestId', 'timestamp']

    """

    __slots__ = ("_fields", "_format", "_stream")

    def __init__(
        self,
        log_format: LambdaLogFormat | None = None,
        stream: TextIO | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> None:
        self._format = log_format if log_format is not None else LambdaLogFormat.from_environment()
        self._stream = stream
        self._fields: dict[str, object] = dict(fields or {})

    @property
    def log_format(self) -> LambdaLogFormat:
        """The format and level this logger writes."""
        return self._format

    def bind(self, **fields: object) -> LambdaLogger:
        """Return a logger that adds ``fields`` to every event.

        Args:
            **fields: Fields to bind.

        Returns:
            A new ``LambdaLogger`` writing to the same stream; this one is unchanged.
        """
        return LambdaLogger(self._format, self._stream, {**self._fields, **fields})

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        self._write(10, event, fields)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        self._write(20, event, fields)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        self._write(30, event, fields)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        self._write(40, event, fields)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled (``errorType``, ``stackTrace``)."""
        self._write(40, event, fields, with_exception=True)

    def _write(
        self, level: int, event: str, fields: Mapping[str, object], with_exception: bool = False
    ) -> None:
        if level < self._format.level:
            return
        line: dict[str, object] = {
            "timestamp": _now(),
            "level": _NAMES[level],
            "message": event,
        }
        for key, value in {**self._fields, **fields}.items():
            sdk_key = SDK_KEYS.get(key)
            if sdk_key is not None:
                if value is not None:
                    line[sdk_key] = value
            else:
                line[_RENAME_PREFIX + key if key in _RESERVED else key] = value
        if with_exception:
            line.update(_exception())
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write((_json(line) if self._format.json_format else _text(line)) + "\n")
        stream.flush()


def _now() -> str:
    # Lambda's own lines: UTC, milliseconds, a Z.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(line: Mapping[str, object]) -> str:
    return json.dumps(line, default=str, ensure_ascii=False)


def _text(line: Mapping[str, object]) -> str:
    head = f"[{line['level']}]\t{line['timestamp']}\t{line.get('requestId', '')}\t{line['message']}"
    rest = " ".join(
        f"{key}={value if isinstance(value, str) else _json_value(value)}"
        for key, value in line.items()
        if key not in ("level", "timestamp", "requestId", "message", "stackTrace")
    )
    trace = line.get("stackTrace")
    tail = "\n" + "".join(trace) if isinstance(trace, list) else ""
    text = f"{head}\t{rest}{tail}" if rest else f"{head}{tail}"
    # One event per line in CloudWatch: keep a multi-line message or trace in one, as Lambda's
    # own Python runtime does, with carriage returns.
    return text.rstrip("\n").replace("\n", "\r")


def _json_value(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _exception() -> dict[str, Any]:
    error = sys.exc_info()[1]
    if error is None:
        return {}
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__),
    }
