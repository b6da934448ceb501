"""Retry and wait strategies, checked against the official SDK's on the same inputs."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any

import aws_durable_execution_sdk_python.config as official_config
import aws_durable_execution_sdk_python.retries as official
import aws_durable_execution_sdk_python.waits as official_waits
import pytest
from aws_durable_execution_sdk_python.exceptions import (
    WaitForConditionError as OfficialWaitForConditionError,
)

from durable_lambda.core.config import Duration
from durable_lambda.core.errors import ValidationError, WaitForConditionError
from durable_lambda.core.retry import (
    JitterStrategy,
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategy,
    RetryStrategyConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    apply_jitter,
    create_linear_retry_strategy,
    create_retry_strategy,
    create_wait_strategy,
)


class FixedRandom:
    """A RandomSource that always answers the same number and counts the draws."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.draws = 0

    def random(self) -> float:
        self.draws += 1
        return self.value


def delays(strategy: RetryStrategy, error: Exception, up_to: int) -> list[int | None]:
    """Un-jittered delay after each attempt 1..up_to (None: no retry)."""
    decisions = [strategy(error, attempts) for attempts in range(1, up_to + 1)]
    return [d.delay.seconds if d.should_retry else None for d in decisions]


def official_delays(strategy: Callable[[Exception, int], Any], up_to: int) -> list[int | None]:
    decisions = [strategy(RuntimeError("boom"), attempts) for attempts in range(1, up_to + 1)]
    return [d.delay_seconds if d.should_retry else None for d in decisions]


def _official_jitter(ours: JitterStrategy) -> official_config.JitterStrategy:
    return official_config.JitterStrategy(ours.value)


# --- jitter -----------------------------------------------------------------------------------


def test_jitter_values_match_the_official_sdk() -> None:
    assert [j.value for j in JitterStrategy] == [j.value for j in official_config.JitterStrategy]


@pytest.mark.parametrize("seconds", [0, 1, 2, 5, 7, 60, 301])
def test_jitter_bounds_with_a_seeded_random(seconds: int) -> None:
    source = random.Random(1234)
    delay = Duration(seconds)
    full = {apply_jitter(delay, JitterStrategy.FULL, source).seconds for _ in range(2_000)}
    half = {apply_jitter(delay, JitterStrategy.HALF, source).seconds for _ in range(2_000)}
    assert min(full) >= 1
    assert max(full) <= max(1, seconds)
    assert min(half) >= max(1, math.ceil(seconds / 2))
    assert max(half) <= max(1, seconds)
    if seconds >= 7:  # the draws really spread over the range
        assert len(full) > seconds // 2
        assert min(full) <= seconds // 3
    assert apply_jitter(delay, JitterStrategy.NONE, source) == Duration(max(1, seconds))


def test_jitter_rounds_up_and_draws_once() -> None:
    source = FixedRandom(0.5)
    assert apply_jitter(Duration(10), JitterStrategy.FULL, source) == Duration(5)
    assert apply_jitter(Duration(10), JitterStrategy.HALF, source) == Duration(8)  # 7.5 up
    assert apply_jitter(Duration(9), JitterStrategy.FULL, source) == Duration(5)  # 4.5 up
    assert source.draws == 3
    assert apply_jitter(Duration(10), JitterStrategy.NONE, source) == Duration(10)
    assert source.draws == 3  # NONE draws nothing
    assert apply_jitter(Duration(10), JitterStrategy.FULL, FixedRandom(0.0)) == Duration(1)


@pytest.mark.parametrize("jitter", list(JitterStrategy))
@pytest.mark.parametrize("seconds", [1, 4, 5, 10, 33, 60])
def test_jitter_matches_the_official_sdk_draw_for_draw(
    jitter: JitterStrategy, seconds: int
) -> None:
    for seed in range(20):
        random.seed(seed)  # the official SDK draws from the global generator
        theirs = _official_jitter(jitter).finalize_delay(seconds)
        ours = apply_jitter(Duration(seconds), jitter, random.Random(seed))
        assert ours.seconds == theirs


# --- decisions ----------------------------------------------------------------------------------


def test_retry_decision_constructors() -> None:
    decision = RetryDecision.retry(Duration(3))
    assert (decision.should_retry, decision.delay_seconds, decision.jitter) == (
        True,
        3,
        JitterStrategy.NONE,
    )
    assert RetryDecision.retry(Duration(3), JitterStrategy.HALF).jitter is JitterStrategy.HALF
    stop = RetryDecision.no_retry()
    assert (stop.should_retry, stop.delay) == (False, Duration(0))
    with pytest.raises(ValidationError, match=r"^RetryDecision.should_retry: "):
        stop.replace(should_retry=None)
    with pytest.raises(ValidationError, match="frozen"):
        stop.should_retry = True  # type: ignore[misc]


# --- the exponential strategy -------------------------------------------------------------------


def test_retry_strategy_config_defaults_match_the_official_sdk() -> None:
    ours, theirs = RetryStrategyConfig(), official.RetryStrategyConfig()
    assert ours.max_attempts == theirs.max_attempts == 3
    assert ours.initial_delay_seconds == theirs.initial_delay_seconds == 5
    assert ours.max_delay_seconds == theirs.max_delay_seconds == 300
    assert ours.backoff_rate == theirs.backoff_rate == 2
    assert ours.jitter_strategy.value == theirs.jitter_strategy.value == "FULL"
    assert (ours.retryable_errors, ours.retryable_error_types) == (None, None)
    assert (theirs.retryable_errors, theirs.retryable_error_types) == (None, None)


def test_delay_sequence_without_jitter() -> None:
    config = RetryStrategyConfig(
        max_attempts=7, max_delay=Duration(60), jitter_strategy=JitterStrategy.NONE
    )
    theirs = official.create_retry_strategy(
        official.RetryStrategyConfig(
            max_attempts=7,
            max_delay=official_config.Duration(60),
            jitter_strategy=official_config.JitterStrategy.NONE,
        )
    )
    expected = [5, 10, 20, 40, 60, 60, None]
    assert delays(create_retry_strategy(config), RuntimeError("x"), 7) == expected
    assert official_delays(theirs, 7) == expected
    decision = create_retry_strategy(config)(RuntimeError("x"), 1)
    assert decision.jitter is JitterStrategy.NONE


def test_decision_carries_the_configured_jitter() -> None:
    strategy = create_retry_strategy(RetryStrategyConfig(jitter_strategy=JitterStrategy.HALF))
    assert strategy(RuntimeError(), 1) == RetryDecision.retry(Duration(5), JitterStrategy.HALF)
    assert create_retry_strategy()(RuntimeError(), 2).jitter is JitterStrategy.FULL


@pytest.mark.parametrize("max_attempts", [1, 2, 3, 10])
def test_max_attempts_boundary(max_attempts: int) -> None:
    strategy = create_retry_strategy(RetryStrategyConfig(max_attempts=max_attempts))
    if max_attempts > 1:
        assert strategy(RuntimeError(), max_attempts - 1).should_retry
    assert not strategy(RuntimeError(), max_attempts).should_retry
    assert not strategy(RuntimeError(), max_attempts + 1).should_retry


@pytest.mark.parametrize(
    ("initial", "rate", "cap"),
    [(5, 2.0, 60), (1, 1.5, 60), (0, 2.0, 60), (3, 1.0, 3), (10, 1.1, 1_000), (7, 0.5, 60)],
)
def test_unjittered_delays_match_the_official_sdk(initial: int, rate: float, cap: int) -> None:
    ours = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=12,
            initial_delay=Duration(initial),
            max_delay=Duration(cap),
            backoff_rate=rate,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    theirs = official.create_retry_strategy(
        official.RetryStrategyConfig(
            max_attempts=12,
            initial_delay=official_config.Duration(initial),
            max_delay=official_config.Duration(cap),
            backoff_rate=rate,
            jitter_strategy=official_config.JitterStrategy.NONE,
        )
    )
    assert delays(ours, RuntimeError("boom"), 12) == official_delays(theirs, 12)


def test_a_long_run_of_attempts_stays_at_the_cap() -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=100_000, max_delay=Duration(60), backoff_rate=3.0)
    )
    assert strategy(RuntimeError(), 5_000).delay == Duration(60)


# --- error filters --------------------------------------------------------------------------------


class ThrottledError(Exception):
    pass


class SlowDownError(ThrottledError):
    pass


FILTER_CASES: list[tuple[Any, Any, Exception, bool]] = [
    (None, None, ValueError("anything"), True),
    (("timeout",), None, RuntimeError("read timeout after 3s"), True),
    (("timeout",), None, RuntimeError("Timeout"), False),  # substring, case-sensitive
    ((re.compile(r"(?i)^timeout"),), None, RuntimeError("Timeout!"), True),
    ((re.compile(r"^timeout"),), None, RuntimeError("a timeout"), False),  # search, anchored
    (None, (ThrottledError,), SlowDownError("x"), True),  # subclasses count
    (None, (ThrottledError,), ValueError("x"), False),  # types only: no match-all default
    (("boom",), (KeyError,), KeyError("k"), True),  # either filter suffices
    (("boom",), (KeyError,), ValueError("boom"), True),
    (("boom",), (KeyError,), ValueError("bang"), False),
    ((), None, ValueError("x"), False),  # an empty filter matches nothing
    (None, (), ValueError("x"), False),
]


@pytest.mark.parametrize(("patterns", "types", "error", "retried"), FILTER_CASES)
def test_error_filters_match_the_official_sdk(
    patterns: Any, types: Any, error: Exception, retried: bool
) -> None:
    ours = create_retry_strategy(
        RetryStrategyConfig(retryable_errors=patterns, retryable_error_types=types)
    )
    theirs = official.create_retry_strategy(
        official.RetryStrategyConfig(
            retryable_errors=None if patterns is None else list(patterns),
            retryable_error_types=None if types is None else list(types),
        )
    )
    assert ours(error, 1).should_retry is retried
    assert theirs(error, 1).should_retry is retried


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"max_attempts": 0}, "max_attempts", "greater than or equal to 1"),
        ({"backoff_rate": 0}, "backoff_rate", "greater than 0"),
        ({"backoff_rate": math.inf}, "backoff_rate", "finite number"),
        ({"initial_delay": 5}, "initial_delay", "instance of Duration"),
        ({"jitter_strategy": "FULL"}, "jitter_strategy", "instance of JitterStrategy"),
        ({"retryable_errors": ["timeout", 42]}, "retryable_errors", "valid string"),
        ({"retryable_errors": "timeout"}, "retryable_errors", "valid tuple"),
        ({"retryable_errors": (42,)}, "retryable_errors", "valid string"),
        ({"retryable_error_types": (int,)}, "retryable_error_types", "subclass of Exception"),
    ],
)
def test_retry_config_validation(fields: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RetryStrategyConfig(**fields)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"RetryStrategyConfig.{field}")
    assert rule in str(caught.value)
    assert caught.value.field == field


# --- presets --------------------------------------------------------------------------------------


PRESETS: list[tuple[str, list[int | None], JitterStrategy]] = [
    ("none", [None], JitterStrategy.FULL),
    ("default", [5, 10, 20, 40, 60, None], JitterStrategy.FULL),
    ("transient", [5, 10, None], JitterStrategy.HALF),
    ("resource_availability", [5, 10, 20, 40, None], JitterStrategy.FULL),
    ("critical", [1, 2, 3, 4, 6, 8, 12, 18, 26, None], JitterStrategy.NONE),
    ("linear", [1, 2, 3, 4, 5, None], JitterStrategy.NONE),
    ("fixed", [5, 5, 5, 5, None], JitterStrategy.NONE),
]


@pytest.mark.parametrize(("name", "expected", "jitter"), PRESETS)
def test_preset_values(name: str, expected: list[int | None], jitter: JitterStrategy) -> None:
    strategy: RetryStrategy = getattr(RetryPresets, name)()
    assert delays(strategy, RuntimeError("x"), len(expected)) == expected
    first = strategy(RuntimeError("x"), 1)
    if first.should_retry:
        assert first.jitter is jitter


@pytest.mark.parametrize(("name", "expected", "jitter"), PRESETS)
def test_presets_match_the_official_sdk_draw_for_draw(
    name: str, expected: list[int | None], jitter: JitterStrategy
) -> None:
    ours: RetryStrategy = getattr(RetryPresets, name)()
    theirs = getattr(official.RetryPresets, name)()
    for attempts in range(1, len(expected) + 2):
        random.seed(attempts)
        their_decision = theirs(RuntimeError("x"), attempts)
        our_decision = ours(RuntimeError("x"), attempts)
        assert our_decision.should_retry is their_decision.should_retry
        if our_decision.should_retry:
            jittered = apply_jitter(
                our_decision.delay, our_decision.jitter, random.Random(attempts)
            )
            assert jittered.seconds == their_decision.delay_seconds


def test_fixed_preset_takes_an_interval() -> None:
    assert delays(RetryPresets.fixed(Duration(2)), RuntimeError(), 6) == [2, 2, 2, 2, None, None]


def test_linear_strategy_caps_and_filters() -> None:
    config = LinearRetryStrategyConfig(
        max_attempts=6,
        initial_delay=Duration(10),
        increment=Duration(20),
        max_delay=Duration(45),
        retryable_error_types=(TimeoutError,),
    )
    strategy = create_linear_retry_strategy(config)
    assert delays(strategy, TimeoutError(), 6) == [10, 30, 45, 45, 45, None]
    assert not strategy(ValueError(), 1).should_retry
    assert strategy(TimeoutError(), 1).jitter is JitterStrategy.FULL
    defaults, theirs = LinearRetryStrategyConfig(), official.LinearRetryStrategyConfig()
    assert (defaults.max_attempts, defaults.initial_delay.seconds, defaults.increment.seconds) == (
        theirs.max_attempts,
        theirs.initial_delay_seconds,
        theirs.increment_seconds,
    )
    assert defaults.max_delay.seconds == theirs.max_delay_seconds == 300


# --- wait strategies ----------------------------------------------------------------------


def not_ready(state: int) -> bool:
    return state < 3


def test_wait_strategy_config_defaults_match_the_official_sdk() -> None:
    ours = WaitStrategyConfig(should_continue_polling=not_ready)
    theirs = official_waits.WaitStrategyConfig(should_continue_polling=not_ready)
    assert ours.max_attempts == theirs.max_attempts == 60
    assert ours.initial_delay.seconds == theirs.initial_delay_seconds == 5
    assert ours.max_delay.seconds == theirs.max_delay_seconds == 300
    assert ours.backoff_rate == theirs.backoff_rate == 1.5
    assert ours.jitter_strategy.value == theirs.jitter_strategy.value == "FULL"


def test_wait_strategy_polls_until_the_condition_is_met() -> None:
    strategy = create_wait_strategy(
        WaitStrategyConfig(should_continue_polling=not_ready, jitter_strategy=JitterStrategy.HALF)
    )
    assert strategy(0, 1) == WaitForConditionDecision.continue_waiting(
        Duration(5), JitterStrategy.HALF
    )
    assert strategy(3, 1) == WaitForConditionDecision.stop_polling()
    assert not strategy(3, 1).should_continue
    assert strategy(3, 1).delay_seconds == 0


def test_wait_strategy_delays_match_the_official_sdk() -> None:
    ours = create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=not_ready, max_attempts=20, jitter_strategy=JitterStrategy.NONE
        )
    )
    theirs = official_waits.create_wait_strategy(
        official_waits.WaitStrategyConfig(
            should_continue_polling=not_ready,
            max_attempts=20,
            jitter_strategy=official_config.JitterStrategy.NONE,
        )
    )
    ours_seq = [ours(0, attempt).delay_seconds for attempt in range(1, 20)]
    assert ours_seq == [theirs(0, attempt).delay_seconds for attempt in range(1, 20)]
    assert ours_seq[:6] == [5, 8, 12, 17, 26, 38]
    assert ours_seq[-1] == 300


def test_a_met_condition_wins_over_exhaustion() -> None:
    config = WaitStrategyConfig(should_continue_polling=not_ready, max_attempts=4)
    strategy = create_wait_strategy(config)
    theirs = official_waits.create_wait_strategy(
        official_waits.WaitStrategyConfig(should_continue_polling=not_ready, max_attempts=4)
    )
    assert strategy(0, 3).should_continue
    assert strategy(5, 4) == WaitForConditionDecision.stop_polling()
    assert not theirs(5, 4).should_continue
    with pytest.raises(WaitForConditionError, match="after 4 attempts"):
        strategy(0, 4)
    with pytest.raises(OfficialWaitForConditionError):
        theirs(0, 4)


def test_wait_strategy_config_validation() -> None:
    with pytest.raises(ValidationError, match=r"^WaitStrategyConfig.should_continue_polling: "):
        WaitStrategyConfig()  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match=r"^WaitStrategyConfig.max_attempts: .*equal to 1"):
        WaitStrategyConfig(should_continue_polling=not_ready, max_attempts=0)
    with pytest.raises(
        ValidationError, match=r"^WaitStrategyConfig.backoff_rate: .*greater than 0"
    ):
        WaitStrategyConfig(should_continue_polling=not_ready, backoff_rate=-1)
