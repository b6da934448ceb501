"""The official AWS Python SDK's version of the migration example (docs/migration.md).

It runs in the tests with the official SDK, a dev dependency of durable-lambda.
"""

# ruff: noqa: D103
# --8<-- [start:official]
from decimal import Decimal
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets


@durable_step
def create_order(step_context: StepContext, order_id: str) -> dict[str, Any]:
    return {"id": order_id, "total": Decimal("42.50")}


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    order = context.step(create_order(event["orderId"]))
    stock = context.step(lambda _: {"sku": "pen", "reserved": 2}, name="reserve")
    context.wait(Duration.from_days(1), name="cool-off")
    return context.step(
        lambda _: {"order": order["id"], "charged": str(order["total"]), **stock},
        name="charge",
        config=StepConfig(retry_strategy=RetryPresets.transient()),
    )


# --8<-- [end:official]
