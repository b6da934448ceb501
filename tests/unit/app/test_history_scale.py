"""The timeline's time axis: to scale while invocations run, compressed between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from durable_lambda.app.history_scale import IDLE_WIDTH, MIN_ACTIVE_WIDTH, TimeScale

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_without_invocations_the_axis_is_linear() -> None:
    scale = TimeScale(at(0), at(10), [], 700)

    assert not scale.compressed
    assert [scale.x(at(s)) for s in (0, 2.5, 5, 10)] == [0, 175, 350, 700]
    assert scale.x(at(-1)) == 0
    assert scale.x(at(11)) == 700


def test_a_day_long_wait_between_invocations_of_milliseconds_is_a_narrow_band() -> None:
    # Invocation 1 runs 5 ms (two steps of 2 ms), the execution waits a day, invocation 2 runs
    # 5 ms more: on a linear axis every step would be a 0.00004-pixel sliver.
    invocations = [(at(0), at(0.005)), (at(DAY + 0.005), at(DAY + 0.010))]
    scale = TimeScale(at(0), at(DAY + 0.010), invocations, 700)

    assert scale.compressed
    [first, gap, second] = scale.pieces
    assert (first.idle, gap.idle, second.idle) == (False, True, False)
    assert gap.right - gap.left == IDLE_WIDTH
    assert first.right - first.left == pytest.approx((700 - IDLE_WIDTH) / 2)
    step_one = scale.x(at(0.002)) - scale.x(at(0))
    step_two = scale.x(at(0.004)) - scale.x(at(0.002))
    assert step_one == pytest.approx(step_two)
    assert step_one > 100  # each 2 ms step is drawn over a hundred pixels wide
    assert scale.x(at(DAY / 2)) == pytest.approx(gap.left + IDLE_WIDTH / 2)


def test_short_pauses_between_invocations_stay_to_scale() -> None:
    # Two invocations of 2 s with half a second between: nothing to compress.
    invocations = [(at(0), at(2)), (at(2.5), at(4.5))]
    scale = TimeScale(at(0), at(4.5), invocations, 900)

    assert not scale.compressed
    assert scale.x(at(2.25)) == pytest.approx(450)


def test_every_invocation_gets_room_however_short_and_many() -> None:
    invocations = [(at(i * 3600), at(i * 3600 + 0.001)) for i in range(40)]
    scale = TimeScale(at(0), at(39 * 3600 + 0.001), invocations, 700)

    active = [piece for piece in scale.pieces if not piece.idle]
    assert len(active) == 40
    assert all(piece.right - piece.left >= MIN_ACTIVE_WIDTH for piece in active)
    assert scale.width >= 40 * MIN_ACTIVE_WIDTH + 39 * IDLE_WIDTH  # the axis grew
    xs = [scale.x(at(s)) for s in range(0, 39 * 3600, 600)]
    assert xs == sorted(xs)


def test_overlapping_invocations_and_a_running_tail() -> None:
    invocations = [(at(0), at(1)), (at(0.5), at(1.5)), (at(5000), at(5001))]
    scale = TimeScale(at(0), at(9000), invocations, 700)

    assert [piece.idle for piece in scale.pieces] == [False, True, False, True]
    assert scale.pieces[-1].end == at(9000)
    assert scale.x(at(9000)) == scale.width
