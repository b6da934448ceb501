"""``aws_durable_execution_sdk_python.retries``: retry strategies, presets and ``with_retry``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from durable_lambda.core.config import ChildConfig
from durable_lambda.core.delays import JitterStrategy
from durable_lambda.core.retry import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)

if TYPE_CHECKING:
    from durable_lambda.compat.aws.context import DurableContext

__all__ = [
    "JitterStrategy",
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategyConfig",
    "WithRetryConfig",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "with_retry",
]

T = TypeVar("T")


@dataclass(frozen=True)
class WithRetryConfig(Generic[T]):
    """How ``with_retry`` retries a block of durable code.

    Attributes:
        retry_strategy: ``(error, attempt) -> RetryDecision``; None for
            ``create_retry_strategy()`` (3 attempts).
        wrap_with_run_in_child_context: Run the attempts in one child context (the default);
            a final failure is then a ``ChildContextError``. Otherwise the last error is raised
            as it is.
        child_context_config: The child context's config, when there is one.
    """

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None
    wrap_with_run_in_child_context: bool = True
    child_context_config: ChildConfig | None = None


def with_retry(
    context: DurableContext,
    func: Callable[[DurableContext, int], T],
    config: WithRetryConfig[T],
    name: str | None = None,
) -> T:
    """Run ``func(context, attempt)`` and, when it raises, again after a durable wait.

    Unlike a step's retries, each attempt may itself run durable operations; their ids differ
    per attempt, so every attempt is replayed as it ran. The waits between attempts are named
    ``"{name}-backoff-{attempt}"`` when ``name`` is given.

    Returns:
        What the first successful attempt returned.

    Raises:
        ChildContextError: the last attempt failed (inside the child context, by default).
        Exception: the last attempt's own error, without the child context.
    """
    strategy = config.retry_strategy or create_retry_strategy()

    def attempts(ctx: DurableContext) -> T:
        attempt = 1
        while True:
            try:
                return func(ctx, attempt)
            except Exception as error:
                decision = strategy(error, attempt)
                if not decision.should_retry:
                    raise
                ctx.wait(decision.delay, name=f"{name}-backoff-{attempt}" if name else None)
            attempt += 1

    if config.wrap_with_run_in_child_context:
        return context.run_in_child_context(attempts, name, config.child_context_config)
    return attempts(context)
