"""The examples of docs/limits.md: what the SDK does at each of the service's limits."""

# ruff: noqa: D103
# --8<-- [start:imports]
import json
from collections.abc import Sequence
from typing import Any

from durable_lambda import DurableContext, Duration, MapConfig
from durable_lambda.testing import DurableTestRunner, TestExecution

# --8<-- [end:imports]


# --8<-- [start:big-step]
async def big_step(event: dict[str, Any], ctx: DurableContext) -> int:
    blob = await ctx.step(lambda step: "x" * 300_000, name="download")  # over 256 KiB
    return len(blob)


async def test_a_step_result_over_256_kib_fails_the_execution() -> None:
    result = await DurableTestRunner(big_step).run({})

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "CheckpointError"
    assert "the payload is 300002 bytes; at most 262144" in (result.error.ErrorMessage or "")


# --8<-- [end:big-step]


# --8<-- [start:big-map]
async def render(item_ctx: DurableContext, page: int, index: int, pages: Sequence[int]) -> str:
    return await item_ctx.step(lambda step: f"{page}:" + "y" * 60_000, name="render")


async def big_map(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    result = await ctx.map(
        list(range(5)),
        render,
        name="render-all",
        config=MapConfig(summary_generator=lambda batch: f"{batch.total_count} pages"),
    )
    return [len(page) for page in result.get_results()]  # about 300 KB in all


async def test_a_large_batch_result_is_rebuilt_from_its_items() -> None:
    run = await DurableTestRunner(big_map, always_replay=True).start({})
    result = await run.result()

    assert result.result == [60_002] * 5
    stored = run.operation("render-all").operation.ContextDetails
    assert stored is not None
    assert stored.ReplayChildren is True
    assert len(stored.Result or "") < 1_000  # a summary, not the 300 KB result


# --8<-- [end:big-map]


# --8<-- [start:big-result]
async def big_result(event: dict[str, Any], ctx: DurableContext) -> str:
    part = await ctx.step(lambda step: "z" * 200_000, name="part")
    return part * 35  # 7 MB: more than a Lambda response can carry


async def test_a_result_over_6_mb_is_checkpointed_on_the_execution() -> None:
    run = await DurableTestRunner(big_result).start({})
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert len(result.result) == 7_000_000  # the service has the whole result...
    assert run.invocations[-1].Result == ""  # ...though the invocation returned none


# --8<-- [end:big-result]


# --8<-- [start:timeout]
async def slow(event: dict[str, Any], ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_days(2), name="two-days")
    return "done"


async def test_the_execution_timeout_ends_the_execution() -> None:
    runner = DurableTestRunner(slow)
    # The runner's own start() sets no time-out; the local service takes one, as
    # DurableConfig.ExecutionTimeout sets one on AWS.
    arn = await runner.local_service.start_execution(
        runner.function_name, json.dumps({}), execution_timeout_seconds=86_400
    )
    result = await TestExecution(runner, arn).result()

    assert result.status == "TIMED_OUT"


# --8<-- [end:timeout]


async def test_a_retry_delay_over_366_days_is_clamped_to_the_service_limit() -> None:
    from durable_lambda import RetryDecision, StepConfig

    def failing(step: Any) -> None:
        raise RuntimeError("down")

    def far_away(error: Exception, attempts: int) -> RetryDecision:
        if attempts > 1:
            return RetryDecision.no_retry()
        return RetryDecision.retry(Duration(31_622_401))

    async def handler(event: dict[str, Any], ctx: DurableContext) -> None:
        await ctx.step(failing, name="s", config=StepConfig(retry_strategy=far_away))

    runner = DurableTestRunner(handler)
    started = runner.clock.now()
    result = await runner.run({})
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "StepError"  # the step's failure escaped the handler
    assert result.error.ErrorMessage == "down"
    assert (runner.clock.now() - started).total_seconds() == 31_622_400
