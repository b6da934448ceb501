"""The examples of docs/determinism.md: each mistake, what it does, and its fix."""

# ruff: noqa: D103
# --8<-- [start:imports]
import asyncio
import os
import random
import time
import uuid
from functools import partial
from typing import Any

from durable_lambda import DurableContext, Duration, StepContext, durable_execution
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:time-wrong]
async def elapsed_wrong(event: dict[str, Any], ctx: DurableContext) -> float:
    started = time.time()  # WRONG: read again on the replay after the wait
    await ctx.wait(Duration.from_hours(1), name="hour")
    return time.time() - started  # near 0: both reads happen in the same invocation


# --8<-- [end:time-wrong]


# --8<-- [start:time-right]
async def elapsed_right(event: dict[str, Any], ctx: DurableContext) -> float:
    started = ctx.now()  # recorded: the same on every replay
    await ctx.wait(Duration.from_hours(1), name="hour")
    return (ctx.now() - started).total_seconds()


# --8<-- [end:time-right]


async def test_wall_clock_time_outside_a_step_forgets_the_wait() -> None:
    wrong = await DurableTestRunner(elapsed_wrong).run({})
    right = await DurableTestRunner(elapsed_right).run({})
    assert wrong.result < 60
    assert right.result == 3600


# --8<-- [start:random-wrong]
sent: list[str] = []


async def coupon_wrong(event: dict[str, Any], ctx: DurableContext) -> str:
    code = f"SAVE-{random.randrange(10**8):08d}"  # WRONG: a new code on every replay
    await ctx.step(lambda step: sent.append(code), name="email-coupon")
    await ctx.step(lambda step: f"stored {code}", name="store-coupon")
    return code


# --8<-- [end:random-wrong]


# --8<-- [start:random-right]
async def coupon_right(event: dict[str, Any], ctx: DurableContext) -> str:
    code = f"SAVE-{ctx.random().randrange(10**8):08d}"  # the same on every replay
    await ctx.step(lambda step: sent.append(code), name="email-coupon")
    await ctx.step(lambda step: f"stored {code}", name="store-coupon")
    return code


# --8<-- [end:random-right]


async def test_a_random_value_outside_a_step_changes_between_replays() -> None:
    sent.clear()
    wrong = await DurableTestRunner(coupon_wrong, always_replay=True).run({})
    assert sent[-1] != wrong.result  # the customer was emailed a code that was never stored

    sent.clear()
    right = await DurableTestRunner(coupon_right, always_replay=True).run({})
    assert sent == [right.result]


# --8<-- [start:uuid-wrong]
keys_used: list[str] = []


def charge(key: str, step: StepContext) -> str:
    keys_used.append(key)
    if step.attempt == 1:
        raise ConnectionError("the payment API timed out")  # did the charge go through?
    return "charged"


async def payment_wrong(event: dict[str, Any], ctx: DurableContext) -> str:
    key = str(uuid.uuid4())  # WRONG: a new idempotency key on every replay
    return await ctx.step(lambda step: charge(key, step), name="charge")


# --8<-- [end:uuid-wrong]


# --8<-- [start:uuid-right]
async def payment_right(event: dict[str, Any], ctx: DurableContext) -> str:
    key = str(ctx.uuid4())  # the same key for every attempt of this execution
    return await ctx.step(lambda step: charge(key, step), name="charge")


# --8<-- [end:uuid-right]


async def test_an_idempotency_key_must_survive_the_retry() -> None:
    keys_used.clear()
    await DurableTestRunner(payment_wrong).run({})
    assert keys_used[0] != keys_used[1]  # the retry could charge the customer twice

    keys_used.clear()
    await DurableTestRunner(payment_right).run({})
    assert keys_used[0] == keys_used[1]


# --8<-- [start:set-wrong]
def deploy(region: str, step: StepContext) -> str:
    return f"deployed {region}"


@durable_execution
async def deploy_wrong(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    done: list[str] = []
    for region in set(event["regions"]):  # WRONG: the order depends on the process's hash seed
        done.append(await ctx.step(partial(deploy, region), name=f"deploy-{region}"))
    return done


# --8<-- [end:set-wrong]


# --8<-- [start:set-right]
@durable_execution
async def deploy_right(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    done: list[str] = []
    for region in sorted(set(event["regions"])):  # a fixed order in every process
        done.append(await ctx.step(partial(deploy, region), name=f"deploy-{region}"))
    return done


# --8<-- [end:set-right]


async def test_in_one_process_a_set_keeps_its_order() -> None:
    # Why always_replay cannot catch this one: a single process has a single hash seed.
    # tests/docs/test_docs_cli.py replays deploy_wrong in a process with another seed.
    event = {"regions": ["eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"]}
    result = await DurableTestRunner(deploy_wrong, always_replay=True).run(event)
    assert result.status == "SUCCEEDED"


# --8<-- [start:env-wrong]
async def greeting_wrong(event: dict[str, Any], ctx: DurableContext) -> str:
    if os.environ.get("NEW_GREETING") == "on":  # WRONG: the setting can change mid-execution
        await ctx.step(lambda step: "Hello!", name="new-greeting")
    await ctx.wait(Duration.from_days(1), name="a-day-later")
    return await ctx.step(lambda step: "Still there?", name="follow-up")


# --8<-- [end:env-wrong]


# --8<-- [start:env-right]
async def greeting_right(event: dict[str, Any], ctx: DurableContext) -> str:
    flag = await ctx.step(lambda step: os.environ.get("NEW_GREETING"), name="read-flag")
    if flag == "on":
        await ctx.step(lambda step: "Hello!", name="new-greeting")
    await ctx.wait(Duration.from_days(1), name="a-day-later")
    return await ctx.step(lambda step: "Still there?", name="follow-up")


# --8<-- [end:env-right]


async def run_across_a_redeploy(handler: Any) -> Any:
    """Start with the flag on, then 'redeploy' with it off while the execution waits."""
    os.environ["NEW_GREETING"] = "on"
    try:
        run = await DurableTestRunner(handler).start({})
        await run.drive_once()  # the first invocation: up to the wait
    finally:
        del os.environ["NEW_GREETING"]
    return await run.result()


async def test_an_environment_read_outside_a_step_breaks_replay() -> None:
    wrong = await run_across_a_redeploy(greeting_wrong)
    assert wrong.status == "FAILED"
    assert wrong.error is not None
    assert wrong.error.ErrorType == "NonDeterministicExecutionError"

    right = await run_across_a_redeploy(greeting_right)
    assert right.result == "Still there?"


# --8<-- [start:io-wrong]
api_calls: list[str] = []


def fetch_customer(customer_id: str) -> dict[str, str]:
    api_calls.append(customer_id)  # stands for an HTTP request
    return {"id": customer_id, "tier": "gold"}


async def loyalty_wrong(event: dict[str, Any], ctx: DurableContext) -> str:
    customer = fetch_customer(event["customer"])  # WRONG: I/O outside a step, on every replay
    await ctx.wait(Duration.from_days(7), name="a-week")
    return await ctx.step(lambda step: f"{customer['tier']} reward", name="reward")


# --8<-- [end:io-wrong]


# --8<-- [start:io-right]
async def loyalty_right(event: dict[str, Any], ctx: DurableContext) -> str:
    customer = await ctx.step(lambda step: fetch_customer(event["customer"]), name="customer")
    await ctx.wait(Duration.from_days(7), name="a-week")
    return await ctx.step(lambda step: f"{customer['tier']} reward", name="reward")


# --8<-- [end:io-right]


async def test_io_outside_a_step_runs_on_every_invocation() -> None:
    api_calls.clear()
    wrong = await DurableTestRunner(loyalty_wrong, always_replay=True).run({"customer": "c-1"})
    assert len(api_calls) == wrong.invocations > 1  # once per invocation, answers may differ

    api_calls.clear()
    await DurableTestRunner(loyalty_right, always_replay=True).run({"customer": "c-1"})
    assert api_calls == ["c-1"]


# --8<-- [start:order-wrong]
def ask_supplier(ctx: DurableContext, supplier: str, seconds: float) -> Any:
    async def ask(step: StepContext) -> str:
        await asyncio.sleep(seconds)  # the supplier's response time
        return supplier

    return ctx.step(ask, name=f"quote-{supplier}")


async def supplier_wrong(event: dict[str, Any], ctx: DurableContext) -> str:
    quotes = [
        asyncio.ensure_future(ask_supplier(ctx, "slow", 0.05)),
        asyncio.ensure_future(ask_supplier(ctx, "fast", 0.0)),
    ]
    # WRONG: on replay both quotes resolve at once, so "first" becomes "first in the list".
    first = await next(asyncio.as_completed(quotes))
    await asyncio.gather(*quotes)
    return await ctx.step(lambda step: f"ordered from {first}", name="order")


# --8<-- [end:order-wrong]


# --8<-- [start:order-right]
async def supplier_right(event: dict[str, Any], ctx: DurableContext) -> str:
    first = await ctx.race(
        [ask_supplier(ctx, "slow", 0.05), ask_supplier(ctx, "fast", 0.0)], name="first-quote"
    )  # the winner is checkpointed: every replay picks the same one
    return await ctx.step(lambda step: f"ordered from {first}", name="order")


# --8<-- [end:order-right]


async def test_the_order_of_completion_must_be_recorded() -> None:
    once = await DurableTestRunner(supplier_wrong).run({})
    replayed = await DurableTestRunner(supplier_wrong, always_replay=True).run({})
    assert once.result == "ordered from fast"
    assert replayed.result == "ordered from slow"  # same code, same suppliers, other answer

    right = await DurableTestRunner(supplier_right).run({})
    assert right.result == "ordered from fast"
