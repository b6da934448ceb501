"""Delays before a step's retry or the next poll: backoff arithmetic, jitter, the service's bounds.

Strategies compute an un-jittered delay in whole seconds (rounded up, at least 1) and name the
jitter to apply; the operation applies it with ``apply_jitter`` and the ``RandomSource`` it was
handed, so strategies stay pure and deterministic, and clamps the result to what the service
accepts with ``delay_seconds_for_service``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, TypeAlias

from pydantic import Field

from durable_lambda.core.duration import Duration
from durable_lambda.core.ports import RandomSource

__all__ = [
    "MAX_DELAY_SECONDS",
    "AttemptCount",
    "BackoffRate",
    "JitterStrategy",
    "apply_jitter",
    "delay_seconds_for_service",
    "exponential_delay",
]

MAX_DELAY_SECONDS = 31_622_400
"""The longest delay the service accepts before a retry or the next poll (366 days)."""

AttemptCount: TypeAlias = Annotated[int, Field(ge=1)]
"""A config field counting attempts: at least 1."""

BackoffRate: TypeAlias = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A config field holding the factor between consecutive delays: finite, above 0."""


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


def delay_seconds_for_service(delay: Duration) -> int:
    """Return ``delay`` as the whole seconds the service accepts: at least 1, at most 366 days.

    A strategy may compute any delay (an exponential backoff without a cap grows fast); the
    service refuses a ``NextAttemptDelaySeconds`` outside 1..31,622,400, so it is clamped.
    """
    return min(max(1, delay.to_seconds()), MAX_DELAY_SECONDS)


def exponential_delay(initial: int, rate: float, attempts_made: int, cap: int) -> Duration:
    """Return ``initial * rate ** (attempts_made - 1)`` capped, in whole seconds, at least 1.

    Args:
        initial: The delay after the first attempt, in seconds.
        rate: The factor between consecutive delays.
        attempts_made: How many attempts were made (1 after the first).
        cap: The longest delay, in seconds.

    Returns:
        The delay, rounded up to whole seconds.

    """
    try:
        grown = initial * rate ** (attempts_made - 1)
    except OverflowError:  # a long run of attempts: the cap has long been reached
        grown = math.inf
    return Duration(max(1, math.ceil(min(grown, cap))))
