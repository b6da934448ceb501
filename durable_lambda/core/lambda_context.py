"""The Lambda context object, as the core sees it: a plain object with a known shape.

On AWS the Lambda runtime hands every invocation a context object (request id, function ARN,
``get_remaining_time_in_millis()``...). The entry point passes it through the invocation to the
runtime, which gives it to the handler as ``ctx.lambda_context`` and reads the invocation's
deadline from it (``durable_lambda.core.deadline``). Locally the orchestrator and the test runner
pass a stand-in with the same attributes and methods. The core never imports anything
Lambda-specific: it only relies on the shape described here.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["LambdaContext", "remaining_millis"]


@runtime_checkable
class LambdaContext(Protocol):
    """What the Lambda runtime's context object offers (the official SDK types it the same way).

    Attributes:
        aws_request_id: The invocation's request id.
        function_name: The function's name.
        function_version: The version that runs.
        invoked_function_arn: The ARN the function was invoked by (with its qualifier).
        memory_limit_in_mb: The memory configured for the function.
        log_group_name: The CloudWatch log group.
        log_stream_name: The CloudWatch log stream.
    """

    aws_request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: Any
    log_group_name: str | None
    log_stream_name: str | None

    def get_remaining_time_in_millis(self) -> int:
        """Return how many milliseconds are left before Lambda stops the invocation."""
        ...


def remaining_millis(lambda_context: object) -> float | None:
    """Return the milliseconds ``lambda_context`` says are left, or None when it cannot say.

    None for no context, for an object without a callable ``get_remaining_time_in_millis``, and
    for one whose method raises or returns something that is not a finite, non-negative number:
    the invocation then runs without a deadline, as it did before there was one.
    """
    method = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if lambda_context is None or not callable(method):
        return None
    try:
        value = method()
    except Exception:  # a stand-in that cannot answer must not stop the invocation
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value < 0 or value == float("inf"):  # NaN, negative, infinite
        return None
    return float(value)
