"""The examples of docs/operations/invoke.md."""

# ruff: noqa: D103
# --8<-- [start:invoke]
from typing import Any

from durable_lambda import DurableContext, InvokeConfig, InvokeError
from durable_lambda.testing import DurableTestRunner


async def checkout(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    receipt = await ctx.invoke(
        "payments:live",  # a name, name:alias or name:version, or an ARN
        {"order": event["orderId"], "amount": event["amount"]},
        name="charge",
        config=InvokeConfig(tenant_id=event.get("tenant")),
    )
    try:
        await ctx.invoke("loyalty", {"order": event["orderId"]}, name="points")
    except InvokeError as error:  # the target failed: its error type and message are kept
        return {**receipt, "points": f"not awarded ({error.error_type}: {error.message})"}
    return {**receipt, "points": "awarded"}


# --8<-- [end:invoke]


# --8<-- [start:test]
def payments(payload: dict[str, Any]) -> dict[str, Any]:
    return {"charged": payload["amount"], "order": payload["order"]}


async def loyalty(payload: dict[str, Any], ctx: DurableContext) -> None:
    await ctx.step(lambda step: None, name="look-up-member")
    raise LookupError(f"no member for order {payload['order']}")


async def test_invoked_functions_run_in_the_test_runner() -> None:
    runner = DurableTestRunner(
        checkout,
        always_replay=True,
        functions={"payments:live": payments, "loyalty": loyalty},
    )
    run = await runner.start({"orderId": "o-1", "amount": 42})
    result = await run.result()

    assert result.result == {
        "charged": 42,
        "order": "o-1",
        "points": "not awarded (LookupError: no member for order o-1)",
    }
    assert run.operation("charge").result == {"charged": 42, "order": "o-1"}


# --8<-- [end:test]


async def test_an_unknown_function_fails_with_resource_not_found() -> None:
    async def handler(event: dict[str, Any], ctx: DurableContext) -> str:
        try:
            await ctx.invoke("nobody", {}, name="lost")
        except InvokeError as error:
            return str(error.error_type)
        return "found"

    result = await DurableTestRunner(handler).run({})
    assert result.result == "ResourceNotFoundException"
