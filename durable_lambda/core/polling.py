"""Polling strategies for ``wait_for_condition``: from the polled state to a decision.

A wait strategy is called with the state a check returned and the number of checks made so far
(1 after the first) and returns a ``WaitForConditionDecision``. Names, defaults and arithmetic
follow the official AWS Python SDK 3.0.0 (``waits.py``); the delay is jittered by the operation
(see ``durable_lambda.core.delays``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeAlias, TypeVar

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.delays import (
    AttemptCount,
    BackoffRate,
    JitterStrategy,
    exponential_delay,
)
from durable_lambda.core.duration import Duration
from durable_lambda.core.errors import WaitForConditionError

__all__ = [
    "WaitForConditionDecision",
    "WaitStrategy",
    "WaitStrategyConfig",
    "create_wait_strategy",
]

T = TypeVar("T")


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
    max_attempts: AttemptCount = 60
    initial_delay: Duration = Duration(5)
    max_delay: Duration = Duration(300)
    backoff_rate: BackoffRate = 1.5
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
        delay = exponential_delay(
            config.initial_delay.seconds,
            config.backoff_rate,
            attempts_made,
            config.max_delay.seconds,
        )
        return WaitForConditionDecision.continue_waiting(delay, config.jitter_strategy)

    return strategy
