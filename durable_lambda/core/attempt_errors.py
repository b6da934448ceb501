"""Why a step attempt was cut short by the SDK: its own time-out, or the invocation's deadline.

Both are failures of one attempt: they are recorded on the step like any error its body raised
and go through the step's retry strategy, so a step that can never finish in time fails after
its retries instead of running again and again. Both are ``TimeoutError`` subclasses, so a retry
strategy's ``retryable_error_types=(TimeoutError,)`` matches them.
"""

from __future__ import annotations

from typing import Any

from durable_lambda.core.errors import DurableExecutionError

__all__ = ["StepDeadlineError", "StepTimeoutError"]


class StepTimeoutError(DurableExecutionError, TimeoutError):
    """A step attempt ran longer than its ``StepConfig(timeout=...)``.

    An ``async def`` body was cancelled (``asyncio.CancelledError`` at its current ``await``);
    a plain-function body keeps running in its worker thread, abandoned: its result is
    dropped, and ``StepContext.stop_requested`` turns True so that it can stop itself.

    Args:
        timeout_seconds: The attempt's time-out.
    """

    def __init__(self, message: str, *, timeout_seconds: float, **where: Any) -> None:
        super().__init__(message, **where)
        self.timeout_seconds = timeout_seconds


class StepDeadlineError(DurableExecutionError, TimeoutError):
    """A step attempt was still running when the invocation reached its deadline margin.

    The invocation stops before Lambda's time-out would kill it: the attempt is recorded as
    failed with this error (the step's retry strategy decides what follows), what finished is
    checkpointed, and the invocation ends PENDING so that the service invokes the function
    again. The body is stopped as for ``StepTimeoutError``.

    Args:
        margin_seconds: How long before Lambda's time-out the invocation stopped.
    """

    def __init__(self, message: str, *, margin_seconds: float, **where: Any) -> None:
        super().__init__(message, **where)
        self.margin_seconds = margin_seconds
