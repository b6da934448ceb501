"""The example of the home page (docs/index.md)."""

# ruff: noqa: D103, E402
# --8<-- [start:handler]
from typing import Any

from durable_lambda import DurableContext, Duration, durable_execution


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    invoice = await ctx.step(lambda step: {"id": f"inv-{event['orderId']}"}, name="invoice")
    await ctx.wait(Duration.from_days(30), name="payment-term")  # no compute while it waits
    paid = await ctx.invoke("payments", {"invoice": invoice["id"]}, name="collect")
    return {"invoice": invoice["id"], "paid": paid["ok"]}


# --8<-- [end:handler]

# --8<-- [start:test]
from durable_lambda.testing import DurableTestRunner


async def test_thirty_days_pass_in_a_test() -> None:
    def payments(payload: dict[str, Any]) -> dict[str, Any]:
        return {"ok": payload["invoice"] == "inv-o-1"}

    runner = DurableTestRunner(handler, always_replay=True, functions={"payments": payments})
    result = await runner.run({"orderId": "o-1"})

    assert result.status == "SUCCEEDED"
    assert result.result == {"invoice": "inv-o-1", "paid": True}


# --8<-- [end:test]
