"""Retry strategies: pure functions from a failed attempt to a ``RetryDecision``.

A retry strategy is called with the error of a failed attempt and the number of attempts made so
far (1 after the first failure, as the official SDK counts) and returns a ``RetryDecision``. Names,
defaults and arithmetic follow the official AWS Python SDK 3.0.0 (``retries.py``).

A decision carries the un-jittered delay (whole seconds, rounded up, at least 1) and the jitter to
apply; the operation applies it with ``apply_jitter`` and the ``RandomSource`` it was handed, so
these functions stay pure and deterministic. The official SDK jitters the fractional delay before
rounding up; here jitter applies to the whole-second delay, which differs only for fractional
backoffs combined with jitter (no preset has both).

The delay arithmetic and jitter live in ``durable_lambda.core.delays`` and the polling strategies
of ``wait_for_condition`` in ``durable_lambda.core.polling``; both are importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.delays import (
    MAX_DELAY_SECONDS,
    AttemptCount,
    BackoffRate,
    JitterStrategy,
    apply_jitter,
    delay_seconds_for_service,
    exponential_delay,
)
from durable_lambda.core.duration import Duration
from durable_lambda.core.errors import ValidationError, exception_message
from durable_lambda.core.polling import (
    WaitForConditionDecision,
    WaitStrategy,
    WaitStrategyConfig,
    create_wait_strategy,
)

__all__ = [
    "MAX_DELAY_SECONDS",
    "JitterStrategy",
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategy",
    "RetryStrategyConfig",
    "WaitForConditionDecision",
    "WaitPresets",
    "WaitStrategy",
    "WaitStrategyConfig",
    "apply_jitter",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "create_wait_strategy",
    "delay_seconds_for_service",
]

if TYPE_CHECKING:
    # A list is taken too, as the official SDK takes one (ConfigModel stores it as a tuple).
    _ErrorPatterns = Sequence[str | re.Pattern[str]] | None
    _ErrorTypes = Sequence[type[Exception]] | None
else:
    _ErrorPatterns = tuple[str | re.Pattern[str], ...] | None
    _ErrorTypes = tuple[type[Exception], ...] | None


class RetryDecision(ConfigModel):
    """Whether a failed step runs again, and after how long.

    Args:
        should_retry: True to run another attempt.
        delay: The delay before it, before jitter; 0 when not retrying.
        jitter: The jitter the operation applies to ``delay`` (``NONE`` by default).

    """

    should_retry: bool
    delay: Duration = Duration(0)
    jitter: JitterStrategy = JitterStrategy.NONE

    @property
    def delay_seconds(self) -> int:
        """The un-jittered delay in seconds."""
        return self.delay.seconds

    @classmethod
    def retry(cls, delay: Duration, jitter: JitterStrategy = JitterStrategy.NONE) -> RetryDecision:
        """Decide to retry after ``delay`` (with ``jitter`` applied by the operation)."""
        return cls(should_retry=True, delay=delay, jitter=jitter)

    @classmethod
    def no_retry(cls) -> RetryDecision:
        """Decide to give up: the step fails with its last error."""
        return cls(should_retry=False)


RetryStrategy: TypeAlias = Callable[[Exception, int], RetryDecision]
"""``(error, attempts_made) -> RetryDecision``; ``attempts_made`` is 1 after the first failure."""


class RetryStrategyConfig(ConfigModel):
    """An exponential backoff: ``initial_delay * backoff_rate ** (attempts_made - 1)``, capped.

    The defaults are the official SDK's (which differ from ``RetryPresets.default()``, what a
    step uses without a strategy).

    Error filters: when both are None every error is retried. When either is given, an error is
    retried only if its message matches one of ``retryable_errors`` (a ``str`` matches as a
    substring, a compiled pattern with ``search``) or it is an instance of one of
    ``retryable_error_types``; an empty tuple matches nothing.

    Args:
        max_attempts: Attempts in all, the first included (at least 1); 3 by default.
        initial_delay: The delay after the first failure; 5 s by default.
        max_delay: The cap on any delay; 5 minutes by default.
        backoff_rate: The factor between consecutive delays (above 0); 2.0 by default.
        jitter_strategy: The jitter applied to each delay; ``FULL`` by default.
        retryable_errors: Message filters; None by default.
        retryable_error_types: Type filters; None by default.

    """

    max_attempts: AttemptCount = 3
    initial_delay: Duration = Duration(5)
    max_delay: Duration = Duration(300)
    backoff_rate: BackoffRate = 2.0
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: _ErrorPatterns = None
    retryable_error_types: _ErrorTypes = None

    @property
    def initial_delay_seconds(self) -> int:
        """The initial delay in seconds."""
        return self.initial_delay.seconds

    @property
    def max_delay_seconds(self) -> int:
        """The maximum delay in seconds."""
        return self.max_delay.seconds


class LinearRetryStrategyConfig(ConfigModel):
    """A linear backoff: ``initial_delay + increment * (attempts_made - 1)``, capped.

    Args:
        max_attempts: Attempts in all, the first included (at least 1); 6 by default.
        initial_delay: The delay after the first failure; 1 s by default.
        increment: What each later delay adds; 1 s by default.
        max_delay: The cap on any delay; 5 minutes by default.
        jitter_strategy: The jitter applied to each delay; ``FULL`` by default.
        retryable_errors: Message filters, as in ``RetryStrategyConfig``.
        retryable_error_types: Type filters, as in ``RetryStrategyConfig``.

    """

    max_attempts: AttemptCount = 6
    initial_delay: Duration = Duration(1)
    increment: Duration = Duration(1)
    max_delay: Duration = Duration(300)
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: _ErrorPatterns = None
    retryable_error_types: _ErrorTypes = None


def _error_matcher(patterns: _ErrorPatterns, types: _ErrorTypes) -> Callable[[Exception], bool]:
    """Return the retryable-error test the official SDK applies for these filters."""
    if patterns is None and types is None:
        return lambda _error: True
    texts = patterns or ()
    kinds = tuple(types or ())

    def matches(error: Exception) -> bool:
        if isinstance(error, kinds):
            return True
        # A __str__ that raises reads as a placeholder: the filter must not break the step.
        message = exception_message(error)
        return any(
            text.search(message) if isinstance(text, re.Pattern) else text in message
            for text in texts
        )

    return matches


def _retrying(
    cfg: RetryStrategyConfig | LinearRetryStrategyConfig, delay_after: Callable[[int], Duration]
) -> RetryStrategy:
    """Return the strategy both backoffs share: the filters and the attempt limit, then a delay."""
    matches = _error_matcher(cfg.retryable_errors, cfg.retryable_error_types)

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= cfg.max_attempts or not matches(error):
            return RetryDecision.no_retry()
        return RetryDecision.retry(delay_after(attempts_made), cfg.jitter_strategy)

    return strategy


def create_retry_strategy(config: RetryStrategyConfig | None = None) -> RetryStrategy:
    """Build an exponential-backoff retry strategy.

    Args:
        config: The backoff and filters; None means ``RetryStrategyConfig()``.

    Returns:
        A strategy that gives up once ``attempts_made >= max_attempts`` or the error does not
        pass the filters, and otherwise retries after the capped exponential delay, carrying
        ``config.jitter_strategy``.

    """
    cfg = config if config is not None else RetryStrategyConfig()
    initial, rate, cap = cfg.initial_delay.seconds, cfg.backoff_rate, cfg.max_delay.seconds
    return _retrying(
        cfg, lambda attempts_made: exponential_delay(initial, rate, attempts_made, cap)
    )


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> RetryStrategy:
    """Build a linear-backoff retry strategy (same limits and filters as the exponential one).

    Args:
        config: The backoff and filters; None means ``LinearRetryStrategyConfig()``.

    Returns:
        A strategy whose delays grow by ``increment`` per attempt, capped at ``max_delay``.

    """
    cfg = config if config is not None else LinearRetryStrategyConfig()

    def delay_after(attempts_made: int) -> Duration:
        grown = cfg.initial_delay.seconds + cfg.increment.seconds * (attempts_made - 1)
        return Duration(max(1, min(grown, cfg.max_delay.seconds)))

    return _retrying(cfg, delay_after)


def _exponential_preset(
    max_attempts: int, initial: int, cap: int, rate: float, jitter: JitterStrategy
) -> RetryStrategy:
    """Return the exponential strategy of one preset (delays in seconds)."""
    config = RetryStrategyConfig(
        max_attempts=max_attempts,
        initial_delay=Duration(initial),
        max_delay=Duration(cap),
        backoff_rate=rate,
        jitter_strategy=jitter,
    )
    return create_retry_strategy(config)


class RetryPresets:
    """Ready-made retry strategies, the official SDK's presets with the same values."""

    @classmethod
    def none(cls) -> RetryStrategy:
        """Never retry (``max_attempts=1``)."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @classmethod
    def default(cls) -> RetryStrategy:
        """Retry as steps do by default: 6 attempts, 5 s doubling to 60 s, full jitter."""
        return _exponential_preset(6, initial=5, cap=60, rate=2, jitter=JitterStrategy.FULL)

    @classmethod
    def transient(cls) -> RetryStrategy:
        """Retry quickly: 3 attempts, 5 s doubling (cap 5 min), half jitter."""
        return _exponential_preset(3, initial=5, cap=300, rate=2, jitter=JitterStrategy.HALF)

    @classmethod
    def resource_availability(cls) -> RetryStrategy:
        """Retry patiently: 5 attempts, 5 s doubling to at most 5 minutes, full jitter."""
        return _exponential_preset(5, initial=5, cap=300, rate=2, jitter=JitterStrategy.FULL)

    @classmethod
    def critical(cls) -> RetryStrategy:
        """Retry persistently: 10 attempts, 1 s growing x1.5 to at most 60 s, no jitter."""
        return _exponential_preset(10, initial=1, cap=60, rate=1.5, jitter=JitterStrategy.NONE)

    @classmethod
    def linear(cls) -> RetryStrategy:
        """Retry linearly: 6 attempts, delays 1, 2, 3, 4, 5 s, no jitter."""
        return create_linear_retry_strategy(
            LinearRetryStrategyConfig(jitter_strategy=JitterStrategy.NONE)
        )

    @classmethod
    def fixed(cls, interval: Duration | None = None) -> RetryStrategy:
        """Retry at a constant pace: 5 attempts, ``interval`` (5 s by default) apart, no jitter."""
        seconds = interval.seconds if interval is not None else 5
        return _exponential_preset(
            5, initial=seconds, cap=seconds, rate=1, jitter=JitterStrategy.NONE
        )


_State = TypeVar("_State")


class WaitPresets:
    """Ready-made polling strategies for ``wait_for_condition``."""

    @classmethod
    def fixed(
        cls,
        should_continue_polling: Callable[[_State], bool],
        interval: Duration | None = None,
        max_attempts: int = 60,
    ) -> WaitStrategy[_State]:
        """Check every ``interval``, without back-off or jitter, at most ``max_attempts`` times.

        The same schedule as ``create_wait_strategy(WaitStrategyConfig(...))`` with
        ``initial_delay=max_delay=interval``, ``backoff_rate=1`` and ``JitterStrategy.NONE``:
        predictable polling, for a condition that is as likely to be met at any moment.

        Args:
            should_continue_polling: ``state -> bool``; True while the condition is not met.
            interval: The delay between checks: whole seconds, at least 1 (5 s by default).
            max_attempts: Checks in all before ``WaitForConditionError`` (60 by default).

        Returns:
            The strategy.

        Raises:
            ValidationError: ``interval`` is not a ``Duration`` of at least a second, or
                ``max_attempts`` is below 1.

        Example:
            >>> every_10s = WaitPresets.fixed(lambda state: state != "DONE", Duration(10))
            >>> every_10s("RUNNING", 1).delay_seconds, every_10s("RUNNING", 7).delay_seconds
            (10, 10)
            >>> every_10s("DONE", 2).should_continue
            False

        """
        given: object = Duration(5) if interval is None else interval  # checked at run time
        if not isinstance(given, Duration) or given.seconds < 1:
            raise ValidationError(
                f"WaitPresets.fixed interval must be a Duration of at least 1 second, "
                f"got {given!r}",
                field="interval",
            )
        return create_wait_strategy(
            WaitStrategyConfig(
                should_continue_polling=should_continue_polling,
                max_attempts=max_attempts,
                initial_delay=given,
                max_delay=given,
                backoff_rate=1.0,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
