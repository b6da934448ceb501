"""``WaitPresets.fixed``: deterministic polling for ``wait_for_condition`` in one call."""

from __future__ import annotations

from typing import Any

import pytest

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    StepContext,
    ValidationError,
    WaitForConditionConfig,
    WaitForConditionError,
    WaitPresets,
)
from durable_lambda.core.retry import WaitStrategyConfig, create_wait_strategy
from durable_lambda.testing import DurableTestRunner


def test_every_delay_is_the_interval_without_jitter() -> None:
    strategy = WaitPresets.fixed(lambda state: state != "DONE", Duration.from_seconds(7))

    decisions = [strategy("RUNNING", attempts) for attempts in range(1, 60)]

    assert {decision.delay_seconds for decision in decisions} == {7}
    assert {decision.jitter for decision in decisions} == {JitterStrategy.NONE}
    assert all(decision.should_continue for decision in decisions)


def test_it_is_the_official_schedule_with_back_off_and_jitter_turned_off() -> None:
    def running(state: str) -> bool:
        return state == "RUNNING"

    by_hand = create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=running,
            max_attempts=4,
            initial_delay=Duration(3),
            max_delay=Duration(3),
            backoff_rate=1.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    preset = WaitPresets.fixed(running, Duration(3), max_attempts=4)

    for attempts in (1, 2, 3):
        assert preset("RUNNING", attempts) == by_hand("RUNNING", attempts)
    assert preset("DONE", 4) == by_hand("DONE", 4)


def test_defaults_five_seconds_and_sixty_checks() -> None:
    strategy = WaitPresets.fixed(lambda state: True)

    assert strategy(None, 59).delay_seconds == 5
    with pytest.raises(WaitForConditionError, match="after 60 attempts"):
        strategy(None, 60)


def test_a_met_condition_stops_even_on_the_last_attempt() -> None:
    def below_three(state: int) -> bool:
        return state < 3

    strategy = WaitPresets.fixed(below_three, Duration(1), max_attempts=3)

    assert strategy(3, 3).should_continue is False
    with pytest.raises(WaitForConditionError, match="after 3 attempts"):
        strategy(2, 3)


@pytest.mark.parametrize("interval", [Duration(0), 5, "5s", None.__class__])
def test_an_interval_that_is_not_a_duration_of_a_second_or_more_is_refused(
    interval: Any,
) -> None:
    with pytest.raises(ValidationError, match="interval must be a Duration of at least 1 second"):
        WaitPresets.fixed(lambda state: True, interval)


def test_fewer_than_one_attempt_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_attempts"):
        WaitPresets.fixed(lambda state: True, Duration(1), max_attempts=0)


async def test_polls_at_the_interval_on_the_clock() -> None:
    def below_four(state: int) -> bool:
        return state < 4

    async def handler(event: Any, ctx: DurableContext) -> int:
        def check(state: int, check_ctx: StepContext) -> int:
            return state + 1

        return await ctx.wait_for_condition(
            check,
            WaitForConditionConfig(
                wait_strategy=WaitPresets.fixed(below_four, Duration(30)),
                initial_state=0,
            ),
            name="poll",
        )

    runner = DurableTestRunner(handler, always_replay=True)
    started = runner.clock.now()
    result = await runner.run()
    elapsed = runner.clock.now() - started

    assert result.status == "SUCCEEDED"
    assert result.result == 4
    # Four checks, three waits of exactly 30 s between them on the test runner's fake clock.
    assert elapsed.total_seconds() == 90
