"""The examples of docs/operations/wait-for-condition.md."""

# ruff: noqa: D103, E402
# --8<-- [start:poll]
from typing import Any

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    StepContext,
    WaitForConditionConfig,
    WaitForConditionError,
    WaitStrategy,
    WaitStrategyConfig,
    create_wait_strategy,
)
from durable_lambda.testing import DurableTestRunner

polls: list[int] = []


def job_status(job_id: str) -> str:
    # Stands for an API call; this job finishes on the third look.
    polls.append(1)
    return "SUCCEEDED" if len(polls) >= 3 else "RUNNING"


def check(state: dict[str, Any], check_ctx: StepContext) -> dict[str, Any]:
    return {"job": state["job"], "status": job_status(state["job"]), "polls": check_ctx.attempt}


UNTIL_DONE: WaitStrategy[dict[str, Any]] = create_wait_strategy(
    WaitStrategyConfig(
        should_continue_polling=lambda state: state["status"] == "RUNNING",
        max_attempts=10,
        initial_delay=Duration.from_seconds(30),
        backoff_rate=2.0,
        jitter_strategy=JitterStrategy.NONE,
    )
)


async def await_job(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return await ctx.wait_for_condition(
        check,
        WaitForConditionConfig(
            wait_strategy=UNTIL_DONE, initial_state={"job": event["job"], "status": "RUNNING"}
        ),
        name="await-job",
    )


async def test_polls_until_the_condition_holds() -> None:
    polls.clear()
    runner = DurableTestRunner(await_job, always_replay=True)
    started = runner.clock.now()
    result = await runner.run({"job": "j-1"})

    assert result.result == {"job": "j-1", "status": "SUCCEEDED", "polls": 3}
    assert len(polls) == 3  # each check ran once, though the handler was replayed
    assert (runner.clock.now() - started).total_seconds() >= 30 + 60


# --8<-- [end:poll]


# --8<-- [start:exhausted]
async def impatient(event: dict[str, Any], ctx: DurableContext) -> str:
    strategy: WaitStrategy[int] = create_wait_strategy(
        WaitStrategyConfig(should_continue_polling=lambda state: True, max_attempts=3)
    )
    try:
        await ctx.wait_for_condition(
            lambda state, check_ctx: state + 1,
            WaitForConditionConfig(wait_strategy=strategy, initial_state=0),
            name="never",
        )
    except WaitForConditionError as error:
        return error.message
    return "met"


async def test_running_out_of_attempts_raises() -> None:
    result = await DurableTestRunner(impatient, always_replay=True).run({})
    assert result.result == (
        "wait_for_condition gave up after 3 attempts: the condition was not met"
    )


# --8<-- [end:exhausted]


# --8<-- [start:fixed]
from durable_lambda import WaitPresets


async def await_export(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    # Check every 10 seconds, at most 30 times: no back-off, no jitter.
    every_10s: WaitStrategy[dict[str, Any]] = WaitPresets.fixed(
        lambda state: state["status"] == "RUNNING", Duration.from_seconds(10), max_attempts=30
    )
    return await ctx.wait_for_condition(
        check,
        WaitForConditionConfig(
            wait_strategy=every_10s, initial_state={"job": event["job"], "status": "RUNNING"}
        ),
        name="await-export",
    )


async def test_polls_every_ten_seconds() -> None:
    polls.clear()
    runner = DurableTestRunner(await_export, always_replay=True)
    started = runner.clock.now()
    result = await runner.run({"job": "j-2"})

    assert result.result == {"job": "j-2", "status": "SUCCEEDED", "polls": 3}
    assert (runner.clock.now() - started).total_seconds() == 10 + 10


# --8<-- [end:fixed]
