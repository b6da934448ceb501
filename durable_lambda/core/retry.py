"""Retry and polling strategies: pure functions from what happened to a decision.

A retry strategy is called with the error of a failed attempt and the number of attempts made so
far (1 after the first failure, as the official SDK counts) and returns a ``RetryDecision``. A wait
strategy (for ``wait_for_condition``) is called with the polled state and the attempts made, and
returns a ``WaitForConditionDecision``. Names, defaults and arithmetic follow the official AWS
Python SDK 3.0.0 (``retries.py`` and ``waits.py``).

A decision carries the un-jittered delay (whole seconds, rounded up, at least 1) and the jitter to
apply; the operation applies it with ``apply_jitter`` and the ``RandomSource`` it was handed, so
these functions stay pure and deterministic. The official SDK jitters the fractional delay before
rounding up; here jitter applies to the whole-second delay, which differs only for fractional
backoffs combined with jitter (no preset has both).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Generic, TypeAlias, TypeVar

from pydantic import Field

from durable_lambda.core.config import ConfigModel, Duration
from durable_lambda.core.errors import WaitForConditionError
from durable_lambda.core.ports import RandomSource

__all__ = [
    "MAX_DELAY_SECONDS",
    "JitterStrategy",
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategy",
    "RetryStrategyConfig",
    "WaitForConditionDecision",
    "WaitStrategy",
    "WaitStrategyConfig",
    "apply_jitter",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "create_wait_strategy",
    "delay_seconds_for_service",
]

T = TypeVar("T")

_Attempts = Annotated[int, Field(ge=1)]
_Rate = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_ErrorPatterns = tuple[str | re.Pattern[str], ...] | None
_ErrorTypes = tuple[type[Exception], ...] | None


class JitterStrategy(StrEnum):
    """Noise added to a delay so that many retries do not land at once (official values).

    * ``NONE``: the delay as computed.
    * ``FULL``: uniformly between 0 and the delay.
    * ``HALF``: uniformly between half the delay and the delay.
    """

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"


def apply_jitter(delay: Duration, jitter: JitterStrategy, random: RandomSource) -> Duration:
    """Return ``delay`` with ``jitter`` applied, rounded up to whole seconds, at least 1 second.

    ``NONE`` draws nothing from ``random``; the others draw exactly one number.

    Args:
        delay: The un-jittered delay.
        jitter: The jitter to apply.
        random: The source of randomness (``random.Random`` fits).

    Returns:
        FULL: 1 to ``delay``; HALF: ``delay / 2`` rounded up to ``delay``; NONE: ``delay``
        (all at least 1 s, as the service requires of a retry delay).

    """
    base = delay.seconds
    if jitter is JitterStrategy.FULL:
        spread: float = random.random() * base
    elif jitter is JitterStrategy.HALF:
        spread = base / 2 + random.random() * (base / 2)
    else:
        spread = base
    return Duration(max(1, math.ceil(spread)))


MAX_DELAY_SECONDS = 31_622_400
"""The longest delay the service accepts before a retry or the next poll (366 days)."""


def delay_seconds_for_service(delay: Duration) -> int:
    """Return ``delay`` as the whole seconds the service accepts: at least 1, at most 366 days.

    A strategy may compute any delay (an exponential backoff without a cap grows fast); the
    service refuses a ``NextAttemptDelaySeconds`` outside 1..31,622,400, so it is clamped.
    """
    return min(max(1, delay.to_seconds()), MAX_DELAY_SECONDS)


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

    max_attempts: _Attempts = 3
    initial_delay: Duration = Duration(5)
    max_delay: Duration = Duration(300)
    backoff_rate: _Rate = 2.0
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

    max_attempts: _Attempts = 6
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
    kinds = types or ()

    def matches(error: Exception) -> bool:
        if isinstance(error, kinds):
            return True
        message = str(error)
        return any(
            text.search(message) if isinstance(text, re.Pattern) else text in message
            for text in texts
        )

    return matches


def _exponential(initial: int, rate: float, attempts_made: int, cap: int) -> Duration:
    """Return ``initial * rate ** (attempts_made - 1)`` capped, in whole seconds, at least 1."""
    try:
        grown = initial * rate ** (attempts_made - 1)
    except OverflowError:  # a long run of attempts: the cap has long been reached
        grown = math.inf
    return Duration(max(1, math.ceil(min(grown, cap))))


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
    matches = _error_matcher(cfg.retryable_errors, cfg.retryable_error_types)

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= cfg.max_attempts or not matches(error):
            return RetryDecision.no_retry()
        delay = _exponential(
            cfg.initial_delay.seconds, cfg.backoff_rate, attempts_made, cfg.max_delay.seconds
        )
        return RetryDecision.retry(delay, cfg.jitter_strategy)

    return strategy


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> RetryStrategy:
    """Build a linear-backoff retry strategy (same limits and filters as the exponential one).

    Args:
        config: The backoff and filters; None means ``LinearRetryStrategyConfig()``.

    Returns:
        A strategy whose delays grow by ``increment`` per attempt, capped at ``max_delay``.

    """
    cfg = config if config is not None else LinearRetryStrategyConfig()
    matches = _error_matcher(cfg.retryable_errors, cfg.retryable_error_types)

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= cfg.max_attempts or not matches(error):
            return RetryDecision.no_retry()
        grown = cfg.initial_delay.seconds + cfg.increment.seconds * (attempts_made - 1)
        delay = Duration(max(1, min(grown, cfg.max_delay.seconds)))
        return RetryDecision.retry(delay, cfg.jitter_strategy)

    return strategy


class RetryPresets:
    """Ready-made retry strategies, the official SDK's presets with the same values."""

    @classmethod
    def none(cls) -> RetryStrategy:
        """Never retry (``max_attempts=1``)."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @classmethod
    def default(cls) -> RetryStrategy:
        """Retry as steps do by default: 6 attempts, 5 s doubling to 60 s, full jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=6,
                initial_delay=Duration(5),
                max_delay=Duration(60),
                backoff_rate=2,
                jitter_strategy=JitterStrategy.FULL,
            )
        )

    @classmethod
    def transient(cls) -> RetryStrategy:
        """Retry quickly: 3 attempts, 5 s doubling (cap 5 min), half jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, backoff_rate=2, jitter_strategy=JitterStrategy.HALF)
        )

    @classmethod
    def resource_availability(cls) -> RetryStrategy:
        """Retry patiently: 5 attempts, 5 s doubling to at most 5 minutes, full jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5, initial_delay=Duration(5), max_delay=Duration(300), backoff_rate=2
            )
        )

    @classmethod
    def critical(cls) -> RetryStrategy:
        """Retry persistently: 10 attempts, 1 s growing x1.5 to at most 60 s, no jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=10,
                initial_delay=Duration(1),
                max_delay=Duration(60),
                backoff_rate=1.5,
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def linear(cls) -> RetryStrategy:
        """Retry linearly: 6 attempts, delays 1, 2, 3, 4, 5 s, no jitter."""
        return create_linear_retry_strategy(
            LinearRetryStrategyConfig(jitter_strategy=JitterStrategy.NONE)
        )

    @classmethod
    def fixed(cls, interval: Duration | None = None) -> RetryStrategy:
        """Retry at a constant pace: 5 attempts, ``interval`` (5 s by default) apart, no jitter."""
        delay = interval if interval is not None else Duration(5)
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5,
                initial_delay=delay,
                max_delay=delay,
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )


class WaitForConditionDecision(ConfigModel):
    """Whether ``wait_for_condition`` checks again, and after how long.

    Args:
        should_continue: True to check again; False means the condition is met.
        delay: The delay before the next check, before jitter; 0 when stopping.
        jitter: The jitter the operation applies to ``delay`` (``NONE`` by default).

    """

    should_continue: bool
    delay: Duration = Duration(0)
    jitter: JitterStrategy = JitterStrategy.NONE

    @property
    def delay_seconds(self) -> int:
        """The un-jittered delay in seconds."""
        return self.delay.seconds

    @classmethod
    def continue_waiting(
        cls, delay: Duration, jitter: JitterStrategy = JitterStrategy.NONE
    ) -> WaitForConditionDecision:
        """Decide to check again after ``delay``."""
        return cls(should_continue=True, delay=delay, jitter=jitter)

    @classmethod
    def stop_polling(cls) -> WaitForConditionDecision:
        """Decide to stop: the condition is met and the current state is the result."""
        return cls(should_continue=False)


WaitStrategy: TypeAlias = Callable[[T, int], WaitForConditionDecision]
"""``(state, attempts_made) -> WaitForConditionDecision``; ``attempts_made`` starts at 1."""


class WaitStrategyConfig(ConfigModel, Generic[T]):
    """A polling schedule for ``wait_for_condition`` (the official defaults).

    Args:
        should_continue_polling: ``state -> bool``; True while the condition is not yet met.
        max_attempts: Checks in all before giving up (at least 1); 60 by default.
        initial_delay: The delay after the first check; 5 s by default.
        max_delay: The cap on any delay; 5 minutes by default.
        backoff_rate: The factor between consecutive delays (above 0); 1.5 by default.
        jitter_strategy: The jitter applied to each delay; ``FULL`` by default.

    """

    should_continue_polling: Callable[[T], bool]
    max_attempts: _Attempts = 60
    initial_delay: Duration = Duration(5)
    max_delay: Duration = Duration(300)
    backoff_rate: _Rate = 1.5
    jitter_strategy: JitterStrategy = JitterStrategy.FULL


def create_wait_strategy(config: WaitStrategyConfig[T]) -> WaitStrategy[T]:
    """Build a wait strategy from a polling schedule.

    A met condition wins over exhaustion: the check that finds it met stops polling even on the
    last attempt. Otherwise the strategy raises once ``attempts_made >= max_attempts`` (stopping
    would pass the unmet state off as the result), else it polls again after the capped
    exponential delay, carrying ``config.jitter_strategy``.

    Args:
        config: The schedule and the condition.

    Returns:
        The strategy. It raises ``WaitForConditionError`` when the attempts run out.

    """

    def strategy(state: T, attempts_made: int) -> WaitForConditionDecision:
        if not config.should_continue_polling(state):
            return WaitForConditionDecision.stop_polling()
        if attempts_made >= config.max_attempts:
            raise WaitForConditionError(
                f"wait_for_condition gave up after {config.max_attempts} attempts: "
                "the condition was not met"
            )
        delay = _exponential(
            config.initial_delay.seconds,
            config.backoff_rate,
            attempts_made,
            config.max_delay.seconds,
        )
        return WaitForConditionDecision.continue_waiting(delay, config.jitter_strategy)

    return strategy
