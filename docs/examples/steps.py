"""The examples of docs/operations/step.md."""

# ruff: noqa: D101, D103
# --8<-- [start:imports]
from typing import Any

from pydantic import BaseModel

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    JsonSerDes,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    StepSemantics,
    create_retry_strategy,
    non_blocking,
)
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:basic]
def reserve_stock(sku: str, quantity: int) -> dict[str, Any]:
    return {"sku": sku, "reserved": quantity}  # a plain function: it runs in a worker thread


async def fetch_price(step: StepContext) -> int:
    step.logger.info("pricing", attempt=step.attempt)  # an async step runs on the event loop
    return 1999


async def basic(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    reservation = await ctx.step(
        lambda step: reserve_stock(event["sku"], event["quantity"]), name="reserve"
    )
    price = await ctx.step(fetch_price, name="price")
    return {**reservation, "total": price * event["quantity"]}


# --8<-- [end:basic]


# --8<-- [start:non_blocking]
async def totals(event: dict[str, Any], ctx: DurableContext) -> int:
    @non_blocking  # pure computation: it runs on the event loop's thread, no worker thread
    def total(step: StepContext) -> int:
        return sum(line["price"] * line["quantity"] for line in event["lines"])

    return await ctx.step(total, name="total")


# --8<-- [end:non_blocking]


async def test_a_non_blocking_step_returns_its_result() -> None:
    lines = [{"price": 250, "quantity": 2}, {"price": 99, "quantity": 1}]
    result = await DurableTestRunner(totals, always_replay=True).run({"lines": lines})
    assert result.result == 599


async def test_steps_return_their_results() -> None:
    runner = DurableTestRunner(basic, always_replay=True)
    result = await runner.run({"sku": "pen", "quantity": 2})
    assert result.result == {"sku": "pen", "reserved": 2, "total": 3998}


# --8<-- [start:retry]
calls: list[int] = []


def call_flaky_api(step: StepContext) -> str:
    calls.append(step.attempt)
    if step.attempt < 3:
        raise ConnectionError("the API is down")
    return "ok"


PATIENT = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_seconds(10),
            max_delay=Duration.from_minutes(2),
            backoff_rate=3.0,
            jitter_strategy=JitterStrategy.NONE,
            retryable_error_types=(ConnectionError, TimeoutError),
        )
    )
)


async def retrying(event: dict[str, Any], ctx: DurableContext) -> str:
    return await ctx.step(call_flaky_api, name="flaky", config=PATIENT)


async def test_a_failed_attempt_is_retried_after_its_delay() -> None:
    calls.clear()
    runner = DurableTestRunner(retrying)
    started = runner.clock.now()
    run = await runner.start({})
    result = await run.result()

    assert result.result == "ok"
    assert calls == [1, 2, 3]
    assert run.step("flaky").attempts == 3
    assert result.invocations == 3  # each retry is a new invocation, after its delay
    assert (runner.clock.now() - started).total_seconds() >= 10 + 30  # 10 s, then 10 s x 3


# --8<-- [end:retry]


# --8<-- [start:errors]
def validate(order: dict[str, Any]) -> dict[str, Any]:
    if order["quantity"] <= 0:
        raise ValueError(f"quantity must be positive, got {order['quantity']}")
    return order


async def with_errors(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    try:
        order = await ctx.step(
            lambda step: validate(event),
            name="validate",
            config=StepConfig(retry_strategy=RetryPresets.none()),  # a bad order stays bad
        )
    except StepError as error:
        return {"rejected": True, "type": error.error_type, "reason": error.message}
    return {"rejected": False, "order": order}


async def test_a_step_that_gives_up_raises_step_error() -> None:
    runner = DurableTestRunner(with_errors, always_replay=True)
    run = await runner.start({"quantity": 0})
    result = await run.result()

    assert result.result == {
        "rejected": True,
        "type": "ValueError",
        "reason": "quantity must be positive, got 0",
    }
    assert run.step("validate").attempts == 1


# --8<-- [end:errors]


# --8<-- [start:semantics]
charges: list[str] = []


def charge_card(order_id: str) -> str:
    charges.append(order_id)
    return f"charge-{order_id}"


async def at_most_once(event: dict[str, Any], ctx: DurableContext) -> str:
    return await ctx.step(
        lambda step: charge_card(event["orderId"]),
        name="charge",
        config=StepConfig(
            step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
            retry_strategy=RetryPresets.none(),
        ),
    )


# --8<-- [end:semantics]


async def test_an_at_most_once_step_runs_once() -> None:
    charges.clear()
    result = await DurableTestRunner(at_most_once, always_replay=True).run({"orderId": "o-7"})
    assert result.result == "charge-o-7"
    assert charges == ["o-7"]


# --8<-- [start:serdes]
class Receipt(BaseModel):
    order_id: str
    amount_cents: int


async def typed(event: dict[str, Any], ctx: DurableContext) -> int:
    receipt = await ctx.step(
        lambda step: Receipt(order_id=event["orderId"], amount_cents=4200),
        name="receipt",
        config=StepConfig(serdes=JsonSerDes(result_type=Receipt)),
    )
    assert isinstance(receipt, Receipt)  # read back as a Receipt, on the first run and on replay
    return receipt.amount_cents


# --8<-- [end:serdes]


async def test_a_typed_serializer_rebuilds_the_model() -> None:
    runner = DurableTestRunner(typed, always_replay=True)
    run = await runner.start({"orderId": "o-1"})
    result = await run.result()
    assert result.result == 4200
    assert run.step("receipt").result == {"order_id": "o-1", "amount_cents": 4200}
