"""The first durable function of docs/getting-started.md (run by the CLI session there too)."""

# ruff: noqa: D103
# --8<-- [start:handler]
from typing import Any

from durable_lambda import (
    DurableContext,
    Duration,
    PlainJsonSerDes,
    RetryPresets,
    StepConfig,
    WaitForCallbackConfig,
    WaitForCallbackContext,
    durable_execution,
)


def create_order(order_id: str) -> dict[str, Any]:
    # Anything with side effects or changing answers (a database, an API) belongs in a step.
    return {"id": order_id, "total": 42}


def request_approval(callback_id: str, submitter: WaitForCallbackContext) -> None:
    # A real function would send a reviewer a link that carries the callback id.
    submitter.logger.info("approval requested", callback_id=callback_id)


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    order = await ctx.step(
        lambda step: create_order(event["orderId"]),
        name="create-order",
        config=StepConfig(retry_strategy=RetryPresets.transient()),
    )
    await ctx.wait(Duration.from_seconds(2), name="cool-off")
    decision = await ctx.wait_for_callback(
        request_approval,
        name="approval",
        config=WaitForCallbackConfig(serdes=PlainJsonSerDes()),  # the answer is JSON: decode it
    )
    if not decision.get("approved"):
        return {"order": order["id"], "status": "rejected"}
    receipt = await ctx.step(lambda step: {"charged": order["total"]}, name="charge")
    return {"order": order["id"], "status": "charged", **receipt}


# --8<-- [end:handler]
