"""A stand-in for the Lambda context object, for the hosts that are not Lambda.

``DurableTestRunner``, the local orchestrator and the command line give every invocation a
``LocalLambdaContext``: the attributes and methods of the Lambda runtime's context object
(``aws_request_id``, ``invoked_function_arn``, ``get_remaining_time_in_millis()``...), with a
time-out of your choosing. Its remaining time is real time, measured from when it was made (the
invocation's start), as Lambda measures it: a test's fake clock skips waits, not compute.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from durable_lambda.core.duration import Duration
from durable_lambda.core.errors import ValidationError

__all__ = ["DEFAULT_LAMBDA_TIMEOUT", "LocalLambdaContext", "timeout_seconds"]

DEFAULT_LAMBDA_TIMEOUT = Duration.from_minutes(15)
"""The longest time-out Lambda allows a function, the stand-in's default."""

_REGION = "us-east-1"
_ACCOUNT = "123456789012"


def timeout_seconds(timeout: Duration | timedelta | float | int, field: str = "timeout") -> float:
    """Return ``timeout`` in seconds (a ``Duration``, a ``timedelta`` or a number of seconds).

    Raises:
        ValidationError: it is not one of those, or not longer than 0 seconds.
    """
    given: object = timeout  # the annotation is a promise a caller may break
    if isinstance(given, Duration):
        seconds = float(given.seconds)
    elif isinstance(given, timedelta):
        seconds = given.total_seconds()
    elif isinstance(given, int | float) and not isinstance(given, bool):
        seconds = float(given)
    else:
        raise ValidationError(
            f"{field} must be a Duration, a timedelta or a number of seconds, "
            f"got {type(timeout).__name__}",
            field=field,
        )
    if not seconds > 0 or seconds == float("inf"):
        raise ValidationError(
            f"{field} must be longer than 0 seconds and finite, got {seconds}", field=field
        )
    return seconds


class LocalLambdaContext:
    """What a local invocation gets in place of Lambda's context object.

    Args:
        timeout: The invocation's time-out (Lambda's own is at most 15 minutes, the default):
            a ``Duration``, a ``timedelta`` (for less than a second) or seconds.
        function_name: The function's name, also in ``invoked_function_arn``.
        request_id: The invocation's request id; a random UUID by default.
        function_version: The version that runs.
        memory_limit_in_mb: The memory the function is said to have.

    Raises:
        ValidationError: ``timeout`` is not a positive span of time.

    Example:
        >>> context = LocalLambdaContext(timeout=timedelta(seconds=30))
        >>> 0 < context.get_remaining_time_in_millis() <= 30_000
        True
    """

    def __init__(
        self,
        *,
        timeout: Duration | timedelta | float = DEFAULT_LAMBDA_TIMEOUT,
        function_name: str = "local-function",
        request_id: str | None = None,
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 128,
    ) -> None:
        import uuid  # on first use: the Lambda entry point imports this module, never needs it

        self._ends = time.monotonic() + timeout_seconds(timeout)
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = (
            f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:{function_name}:{function_version}"
        )
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.log_group_name: str | None = f"/aws/lambda/{function_name}"
        self.log_stream_name: str | None = "local"
        self.tenant_id: str | None = None
        self.identity: object = None
        self.client_context: object = None

    def get_remaining_time_in_millis(self) -> int:
        """Return the milliseconds left before the time-out (0 once it passed)."""
        return max(0, int((self._ends - time.monotonic()) * 1000))

    def log(self, message: str) -> None:
        """Write ``message`` to standard error, as Lambda's ``context.log`` writes to the log."""
        sys.stderr.write(message if message.endswith("\n") else message + "\n")

    def __repr__(self) -> str:
        return (
            f"LocalLambdaContext(function_name={self.function_name!r}, "
            f"request_id={self.aws_request_id!r}, "
            f"remaining_ms={self.get_remaining_time_in_millis()})"
        )
