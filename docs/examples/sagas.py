"""The examples of docs/operations/sagas.md."""

# ruff: noqa: D103
# --8<-- [start:order]
import json
from typing import Any

from durable_lambda import DurableContext, SagaError, StepContext
from durable_lambda.testing import DurableTestRunner

DONE: list[str] = []


def charge_card(step: StepContext) -> str:
    DONE.append("charged")
    return "ch_123"


def refund(charge_id: str, step: StepContext) -> None:
    DONE.append(f"refunded {charge_id}")


def reserve_stock(step: StepContext) -> str:
    DONE.append("reserved")
    return "res_456"


def release_stock(reservation: str, step: StepContext) -> None:
    DONE.append(f"released {reservation}")


def book_courier(step: StepContext) -> str:
    raise RuntimeError("no courier available")


async def place_order(event: dict[str, Any], ctx: DurableContext) -> str:
    async with ctx.saga("order") as saga:
        await saga.step(charge_card, name="charge", compensate=refund)
        await saga.step(reserve_stock, name="reserve", compensate=release_stock)
        await saga.step(book_courier, name="courier")
    return "placed"


async def test_a_failed_order_is_undone_in_reverse() -> None:
    DONE.clear()
    run = await DurableTestRunner(place_order).start({})
    result = await run.result()

    assert DONE == ["charged", "reserved", "released res_456", "refunded ch_123"]
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "SagaError"
    assert result.error.ErrorMessage == (
        "saga 'order' failed with RuntimeError: no courier available; "
        "compensated: undo reserve, undo charge"
    )
    assert json.loads(result.error.ErrorData or "{}")["compensated"] == [
        "undo reserve",
        "undo charge",
    ]
    undos = run.operations(parent="order-compensation")
    assert [(op.name, op.status.value) for op in undos] == [
        ("undo reserve", "SUCCEEDED"),
        ("undo charge", "SUCCEEDED"),
    ]


# --8<-- [end:order]


# --8<-- [start:caught]
async def place_order_or_apologise(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    try:
        return {"status": await place_order(event, ctx)}
    except SagaError as error:
        await ctx.step(lambda step: "sorry email sent", name="apologise")
        return {
            "status": "cancelled",
            "why": error.original_message,
            "undone": list(error.compensated),
            "clean": error.fully_compensated,
        }


async def test_the_handler_catches_the_saga_error() -> None:
    result = await DurableTestRunner(place_order_or_apologise, always_replay=True).run({})
    assert result.result == {
        "status": "cancelled",
        "why": "no courier available",
        "undone": ["undo reserve", "undo charge"],
        "clean": True,
    }


# --8<-- [end:caught]


# --8<-- [start:other-work]
from durable_lambda import Duration, RetryStrategyConfig, StepConfig  # noqa: E402
from durable_lambda import create_retry_strategy as retry  # noqa: E402

PATIENT = StepConfig(retry(RetryStrategyConfig(max_attempts=10, initial_delay=Duration(30))))


async def trip(event: dict[str, Any], ctx: DurableContext) -> str:
    async with ctx.saga("trip") as saga:
        flight = await saga.step(
            lambda step: "FL-1",
            name="flight",
            compensate=lambda flight, step: f"cancelled {flight}",
            compensate_name="cancel flight",
            compensate_config=PATIENT,  # an undo has its own retries
        )
        hotel = await ctx.invoke("hotels", {"flight": flight}, name="hotel")
        saga.add_compensation(lambda step: f"released {hotel}", name="release hotel")
        await saga.step(
            lambda step: 1 / 0,
            name="car",
            config=StepConfig(retry(RetryStrategyConfig(max_attempts=1))),
        )
    return "booked"


async def test_work_done_some_other_way_is_undone_too() -> None:
    runner = DurableTestRunner(trip, functions={"hotels": lambda payload: "H-9"})
    result = await runner.run({})
    assert result.error is not None
    data = json.loads(result.error.ErrorData or "{}")
    assert data["compensated"] == ["release hotel", "cancel flight"]
    assert data["originalErrorType"] == "ZeroDivisionError"


# --8<-- [end:other-work]
