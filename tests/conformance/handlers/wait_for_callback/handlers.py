"""Handlers for the wait_for_callback suite (requirements 7-1 to 7-15)."""

from __future__ import annotations

import json
from typing import Any

from conformance.handlers._common import configure_json_logs
from durable_lambda import (
    CallbackError,
    CallbackTimeoutError,
    DurableContext,
    Duration,
    JitterStrategy,
    RetryStrategyConfig,
    SerDesContext,
    WaitForCallbackConfig,
    WaitForCallbackContext,
    create_retry_strategy,
    durable_execution,
)

configure_json_logs()


def _submit(callback_id: str, details: WaitForCallbackContext) -> None:
    """Hand the callback id over (the harness answers it through the emulator's callback API)."""
    details.logger.info("callback id submitted", callback_id=callback_id)


def _timeout(seconds: int) -> WaitForCallbackConfig:
    return WaitForCallbackConfig(timeout=Duration(seconds))


@durable_execution
async def req_7_1(event: str, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(_submit, name=event)


@durable_execution
async def req_7_2(event: Any, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(_submit, name="approval")


@durable_execution
async def req_7_3(event: Any, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(lambda callback_id, details: None)


@durable_execution
async def req_7_4(event: str, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(_submit, name=event)


@durable_execution
async def req_7_5(event: str, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(_submit, name=event, config=_timeout(3))


@durable_execution
async def req_7_6(event: str, ctx: DurableContext) -> Any:
    try:
        return await ctx.wait_for_callback(_submit, name=event)
    except CallbackError:
        return "recovered"


def _always_fails(callback_id: str, details: WaitForCallbackContext) -> None:
    raise RuntimeError(f"submitter attempt {details.attempt} failed")


@durable_execution
async def req_7_7(event: str, ctx: DurableContext) -> Any:
    retry = RetryStrategyConfig(
        max_attempts=2,
        initial_delay=Duration(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
    config = WaitForCallbackConfig(retry_strategy=create_retry_strategy(retry))
    return await ctx.wait_for_callback(_always_fails, name=event, config=config)


@durable_execution
async def req_7_8(event: str, ctx: DurableContext) -> Any:
    async def wrapper(child: DurableContext) -> Any:
        return await child.wait_for_callback(_submit, name=event)

    return await ctx.run_in_child_context(wrapper, name="wrapper")


@durable_execution
async def req_7_9(event: Any, ctx: DurableContext) -> Any:
    await ctx.wait_for_callback(_submit, name="first")
    return await ctx.wait_for_callback(_submit, name="second")


@durable_execution
async def req_7_10(event: str, ctx: DurableContext) -> Any:
    await ctx.wait(Duration(1))
    await ctx.step(lambda _: {"prepared": True})
    return await ctx.wait_for_callback(_submit, name=event)


class _JsonObjectSerDes:
    """Reads the callback's answer as a JSON object (and writes values as JSON)."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return json.dumps(value)

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        data = json.loads(payload)
        if payload and data is not None and not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        return data


@durable_execution
async def req_7_11(event: str, ctx: DurableContext) -> Any:
    config = WaitForCallbackConfig(serdes=_JsonObjectSerDes())
    answer: dict[str, Any] = await ctx.wait_for_callback(_submit, name=event, config=config)
    return answer["status"]


@durable_execution
async def req_7_12(event: str, ctx: DurableContext) -> Any:
    config = WaitForCallbackConfig(heartbeat_timeout=Duration(5))
    return await ctx.wait_for_callback(_submit, name=event, config=config)


@durable_execution
async def req_7_13(event: str, ctx: DurableContext) -> Any:
    config = WaitForCallbackConfig(heartbeat_timeout=Duration(10))
    return await ctx.wait_for_callback(_submit, name=event, config=config)


@durable_execution
async def req_7_14(event: str, ctx: DurableContext) -> Any:
    try:
        return await ctx.wait_for_callback(_submit, name=event, config=_timeout(3))
    except CallbackTimeoutError:
        return "timed-out-handled"


@durable_execution
async def req_7_15(event: str, ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(_submit, name=event)
