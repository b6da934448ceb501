"""Handlers for the wait_for_condition suite (requirements 6-1 to 6-13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    SerDesContext,
    StepContext,
    WaitForConditionConfig,
    durable_execution,
)
from durable_lambda.core.retry import WaitStrategyConfig, create_wait_strategy

T = TypeVar("T")


def _polling(
    keep_going: Callable[[T], bool], initial: T, max_attempts: int = 10, delay: int = 1
) -> WaitForConditionConfig[T]:
    strategy = create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=keep_going,
            max_attempts=max_attempts,
            initial_delay=Duration(delay),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    return WaitForConditionConfig(wait_strategy=strategy, initial_state=initial)


def _increment(state: int, _: StepContext) -> int:
    return state + 1


@durable_execution
async def req_6_1(event: int, ctx: DurableContext) -> int:
    return await ctx.wait_for_condition(_increment, _polling(lambda s: s < event, 0))


@durable_execution
async def req_6_2(event: int, ctx: DurableContext) -> int:
    return await ctx.wait_for_condition(lambda s, _: s, _polling(lambda s: s < event, 5))


@durable_execution
async def req_6_3(event: int, ctx: DurableContext) -> int:
    config = _polling(lambda s: s < event, 0)
    return await ctx.wait_for_condition(_increment, config, name="poll-status")


@durable_execution
async def req_6_4(event: int, ctx: DurableContext) -> int:
    return await ctx.wait_for_condition(_increment, _polling(lambda s: s < event, 5))


@durable_execution
async def req_6_5(event: int, ctx: DurableContext) -> int:
    config = _polling(lambda s: s < event, 0, delay=2)
    return await ctx.wait_for_condition(_increment, config)


@durable_execution
async def req_6_6(event: int, ctx: DurableContext) -> int:
    config = _polling(lambda s: True, event, max_attempts=3)
    return await ctx.wait_for_condition(_increment, config)


def _broken(state: Any, _: StepContext) -> Any:
    raise RuntimeError("the status check failed")


@durable_execution
async def req_6_7(event: Any, ctx: DurableContext) -> Any:
    return await ctx.wait_for_condition(_broken, _polling(lambda s: True, 0))


@durable_execution
async def req_6_8(event: Any, ctx: DurableContext) -> Any:
    try:
        return await ctx.wait_for_condition(_broken, _polling(lambda s: True, 0))
    except Exception:  # the WaitForConditionError is handled
        return "recovered"


def _advance(state: dict[str, Any], _: StepContext) -> dict[str, Any]:
    attempts = state["attempts"] + 1
    return {"status": "DONE" if attempts >= 2 else "PENDING", "attempts": attempts}


@durable_execution
async def req_6_9(event: Any, ctx: DurableContext) -> dict[str, Any]:
    initial = {"status": "PENDING", "attempts": 0}
    config = _polling(lambda s: s["status"] == "PENDING", initial)
    return await ctx.wait_for_condition(_advance, config)


@durable_execution
async def req_6_10(event: Any, ctx: DurableContext) -> None:
    config: WaitForConditionConfig[None] = _polling(lambda s: False, None)
    return await ctx.wait_for_condition(lambda s, _: None, config)


class _ReversedText:
    """Stores a string reversed, between brackets; reads it back."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return f"<{str(value)[::-1]}>"

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        return payload[1:-1][::-1]


@durable_execution
async def req_6_11(event: Any, ctx: DurableContext) -> str:
    config = _polling(lambda s: len(s) < 2, "").replace(serdes=_ReversedText())
    return await ctx.wait_for_condition(lambda s, _: s + "x", config)


@durable_execution
async def req_6_12(event: int, ctx: DurableContext) -> int:
    reached = await ctx.wait_for_condition(_increment, _polling(lambda s: s < event, 0))
    return await ctx.step(lambda _: reached * 10)


@durable_execution
async def req_6_13(event: Any, ctx: DurableContext) -> int:
    first = await ctx.wait_for_condition(_increment, _polling(lambda s: s < 2, 0))
    return await ctx.wait_for_condition(_increment, _polling(lambda s: s < 4, first))
