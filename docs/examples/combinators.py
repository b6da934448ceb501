"""The examples of docs/operations/combinators.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
from functools import partial
from typing import Any

from durable_lambda import (
    AllFailedError,
    CallbackConfig,
    DurableContext,
    Duration,
    RetryPresets,
    StepConfig,
    StepContext,
    StepError,
)
from durable_lambda.testing import DurableTestRunner

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())

# --8<-- [end:imports]


# --8<-- [start:all]
async def dashboard(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    sales, stock = await ctx.all(
        [
            ctx.step(lambda step: 1200, name="sales"),  # not awaited: the combinator runs them
            ctx.step(lambda step: 35, name="stock"),
        ],
        name="figures",
    )
    return {"sales": sales, "stock": stock}


async def test_all_returns_every_value_in_order() -> None:
    result = await DurableTestRunner(dashboard, always_replay=True).run({})
    assert result.result == {"sales": 1200, "stock": 35}


# --8<-- [end:all]


# --8<-- [start:all-settled]
def lookup(source: str, step: StepContext) -> str:
    if source == "legacy":
        raise TimeoutError("legacy system did not answer")
    return f"record from {source}"


async def gather_records(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    outcomes = await ctx.all_settled(
        [
            # partial binds this iteration's source: the step bodies run after the loop.
            ctx.step(partial(lookup, source), name=source, config=NO_RETRY)
            for source in ("crm", "legacy", "billing")
        ],
        name="records",
    )
    return [
        str(outcome.value) if outcome.succeeded else f"{outcome.index}: {outcome.error}"
        for outcome in outcomes
    ]


async def test_all_settled_reports_each_outcome() -> None:
    result = await DurableTestRunner(gather_records, always_replay=True).run({})
    assert result.result[0] == "record from crm"
    assert result.result[1].startswith("1: legacy system did not answer")
    assert result.result[2] == "record from billing"


# --8<-- [end:all-settled]


# --8<-- [start:race]
async def approval_with_deadline(event: dict[str, Any], ctx: DurableContext) -> str:
    callback = await ctx.create_callback(name="approval", config=CallbackConfig())
    await ctx.step(lambda step: f"asked with {callback.callback_id}", name="ask")
    answer: str | None = await ctx.race(
        [callback.result(), ctx.wait(Duration.from_hours(4), name="deadline")],
        name="answer-or-deadline",
    )
    return "timed out" if answer is None else f"answered {answer}"


async def test_the_answer_wins_when_it_comes_first() -> None:
    run = await DurableTestRunner(approval_with_deadline, always_replay=True).start({})
    await run.callback("approval").succeed("yes")
    result = await run.result()
    assert result.result == "answered yes"
    assert run.operation("deadline").status.value == "CANCELLED"  # the losing wait is cancelled


async def test_the_deadline_wins_when_nobody_answers() -> None:
    runner = DurableTestRunner(approval_with_deadline, always_replay=True)
    result = await runner.run({})
    assert result.result == "timed out"


# --8<-- [end:race]


# --8<-- [start:any]
def fetch(mirror: str, step: StepContext) -> str:
    if mirror != "ap":
        raise ConnectionError(f"{mirror} is down")
    return f"file from {mirror}"


async def first_mirror(event: dict[str, Any], ctx: DurableContext) -> str:
    try:
        return await ctx.any(
            [
                ctx.step(partial(fetch, mirror), name=mirror, config=NO_RETRY)
                for mirror in event["mirrors"]
            ],
            name="mirror",
        )
    except AllFailedError as error:
        return f"all {len(error.errors)} failed: " + ", ".join(
            e.message for e in error.errors if isinstance(e, StepError)
        )


async def test_any_returns_the_first_success() -> None:
    runner = DurableTestRunner(first_mirror, always_replay=True)
    assert (await runner.run({"mirrors": ["eu", "ap", "us"]})).result == "file from ap"
    assert (await runner.run({"mirrors": ["eu", "us"]})).result == (
        "all 2 failed: eu is down, us is down"
    )


# --8<-- [end:any]


# --8<-- [start:branches]
async def audited_charge(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    async def charge_and_record(child: DurableContext) -> str:
        charge = await child.step(lambda step: "ch-1", name="charge")
        await child.step(lambda step: None, name="record")
        return charge

    return await ctx.all(
        [
            ctx.run_in_child_context(charge_and_record, name="payment"),  # two operations: one id
            ctx.step(lambda step: "mail sent", name="email"),
        ],
        name="checkout",
    )


async def test_a_child_context_is_one_branch() -> None:
    result = await DurableTestRunner(audited_charge, always_replay=True).run({})
    assert result.result == ["ch-1", "mail sent"]


# --8<-- [end:branches]
