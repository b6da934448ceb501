"""Durable functions that ``test_cloud_runner.py`` runs through ``CloudRunner``."""

from __future__ import annotations

import json
from typing import Any

from durable_lambda import (
    CallbackConfig,
    CallbackError,
    DurableContext,
    Duration,
    durable_execution,
)


@durable_execution
async def fulfilment(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Steps, a wait and a callback: reserve, cool off, ask for approval, then charge."""
    order = await ctx.step(lambda _: {"id": event["orderId"], "total": 42}, name="reserve")
    await ctx.wait(Duration.from_seconds(1), name="cool-off")
    config = CallbackConfig(
        timeout=Duration.from_seconds(120), heartbeat_timeout=Duration.from_seconds(60)
    )
    callback = await ctx.create_callback("approval", config)
    try:
        raw = await callback.result()
    except CallbackError as error:
        return {"order": order["id"], "approved": False, "reason": error.message}
    # The answer as its sender wrote it: JSON text here.
    answer = json.loads(raw) if isinstance(raw, str) else raw
    receipt = await ctx.step(
        lambda _: f"charged {order['total']} for {answer['by']}", name="charge"
    )
    return {"order": order["id"], "approved": True, "receipt": receipt}
