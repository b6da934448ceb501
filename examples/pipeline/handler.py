"""The data-pipeline example: process input, wait for approval, fan out, map, aggregate.

Input: ``{"workflowId": str, "inputData": {"items": [str, ...]}}``.

1. ``process-input`` (a step) turns the input into work items, deterministically.
2. ``approval`` (wait_for_callback) asks a person to approve; on time-out it goes on with
   default settings and logs that it did.
3. ``work-streams`` (parallel) runs three streams, each isolated: one failing stream does not
   lose the others' results; errors are reported together.
4. ``process-items`` (map) processes every work item, one checkpoint per item.
5. ``aggregate`` (a step) builds the report.

Every step retries with exponential backoff; everything outside steps is deterministic.
Configuration comes from the environment: APPROVAL_TIMEOUT_SECONDS, MAX_CONCURRENCY.
"""

from __future__ import annotations

import os
import time
from typing import Any

# ``lib`` sits beside this file, at the root of the deployment package, as on Lambda; the
# ``durable-lambda`` command puts a handler's folder on sys.path the same way.
from lib import callback_helper, data_processor
from lib.data_processor import WorkItem

from durable_lambda import (
    CallbackError,
    CompletionConfig,
    DurableContext,
    Duration,
    JitterStrategy,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    WaitForCallbackConfig,
    WaitForCallbackContext,
    create_retry_strategy,
    durable_execution,
)

RETRIES = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=4,
        initial_delay=Duration.from_seconds(1),
        max_delay=Duration.from_seconds(30),
        backoff_rate=2.0,
        jitter_strategy=JitterStrategy.FULL,
    )
)
STEP = StepConfig(retry_strategy=RETRIES)


def _max_concurrency() -> int:
    return int(os.environ.get("MAX_CONCURRENCY", "10"))


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Run the pipeline for one workflow (see the module docstring)."""
    workflow_id = str(event["workflowId"])
    raw_items = event.get("inputData", {}).get("items", [])

    def process_input(step: StepContext) -> dict[str, Any]:
        return {
            "items": data_processor.create_work_items(workflow_id, raw_items),
            "startedAt": time.time(),
        }

    prepared = await ctx.step(process_input, name="process-input", config=STEP)
    items: list[WorkItem] = prepared["items"]

    approval = await _approval(ctx, workflow_id, len(items))
    parallel_results = await _work_streams(ctx, items)
    map_results = await _process_items(ctx, items, approval)

    # Operations this handler checkpoints: process-input, the approval context with its
    # callback and submitter step, the parallel with one context and step per stream, the
    # map with one context and step per item, and aggregate.
    checkpoint_count = 1 + 3 + (1 + 2 * 3) + (1 + 2 * len(items)) + 1

    def build_report(step: StepContext) -> dict[str, Any]:
        return data_processor.aggregate(
            workflow_id=workflow_id,
            items=items,
            parallel_results=parallel_results,
            map_results=map_results,
            total_duration=time.time() - prepared["startedAt"],
            checkpoint_count=checkpoint_count,
        )

    return await ctx.step(build_report, name="aggregate", config=STEP)


async def _approval(ctx: DurableContext, workflow_id: str, item_count: int) -> dict[str, Any]:
    def request_approval(callback_id: str, submitter: WaitForCallbackContext) -> None:
        # A real deployment would notify a reviewer here (email, chat, a ticket).
        request = callback_helper.describe_request(workflow_id, callback_id, item_count)
        submitter.logger.info("approval requested", **request)

    timeout = Duration.from_seconds(callback_helper.approval_timeout_seconds())
    config = WaitForCallbackConfig(timeout=timeout, retry_strategy=RETRIES)
    try:
        answer = await ctx.wait_for_callback(request_approval, name="approval", config=config)
    except CallbackError as error:
        if not error.timed_out:
            raise
        ctx.logger.warning("approval timed out; continuing with defaults", workflow_id=workflow_id)
        return dict(callback_helper.DEFAULT_APPROVAL)
    return callback_helper.normalise_approval(answer)


async def _work_streams(ctx: DurableContext, items: list[WorkItem]) -> dict[str, Any]:
    def stream(name: str, work: Any) -> ParallelBranch[Any]:
        async def branch(branch_ctx: DurableContext) -> Any:
            return await branch_ctx.step(lambda step: work(items), name=name, config=STEP)

        return ParallelBranch(branch, name=f"stream-{name}")

    branches = [
        stream("validate", data_processor.validate_stream),
        stream("enrich", data_processor.enrich_stream),
        stream("score", data_processor.score_stream),
    ]
    # Each stream is isolated: tolerate every failure, collect what succeeded, report the rest.
    config = ParallelConfig(completion_config=CompletionConfig.all_completed())
    outcome = await ctx.parallel(branches, name="work-streams", config=config)
    results = {item.result["stream"]: item.result for item in outcome.succeeded()}
    errors = [
        {"index": item.index, "type": item.error.ErrorType, "message": item.error.ErrorMessage}
        for item in outcome.failed()
        if item.error is not None
    ]
    return {"results": results, "errors": errors}


async def _process_items(
    ctx: DurableContext, items: list[WorkItem], approval: dict[str, Any]
) -> list[WorkItem]:
    async def process(
        item_ctx: DurableContext, item: WorkItem, index: int, all_items: Any
    ) -> WorkItem:
        return await item_ctx.step(
            lambda step: data_processor.process_item(item, approval),
            name=f"process-{item['id']}",
            config=STEP,
        )

    config = MapConfig(
        max_concurrency=_max_concurrency(),
        item_namer=lambda item, index: f"item-{item['id']}",
    )
    outcome = await ctx.map(items, process, name="process-items", config=config)
    outcome.throw_if_error()
    return outcome.get_results()
