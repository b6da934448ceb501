"""A child context's logger carries its parent id, bound when the child first logs.

Child contexts (one per map item, parallel branch or ``run_in_child_context``) bind their logger
lazily: these tests hold that what a child logs is what an eagerly bound logger would log.
"""

from __future__ import annotations

import random
from typing import Any

from acknowledging_service import AcknowledgingService

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.logging.capturing import CapturedLog, CapturingLogger
from durable_lambda.core.context import DurableContext
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import InvocationStatus
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/run/abc"


async def _run(handler: Any, logger: CapturingLogger) -> InvocationStatus:
    invocation = parse_invocation_input(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "t0",
            "InitialExecutionState": {
                "Operations": [
                    {"Id": "e", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 0}
                ]
            },
        }
    )
    output = await run_invocation(
        handler,
        invocation,
        service=AcknowledgingService(),
        serdes=JsonSerDes(),
        clock=FakeClock(),
        random=random.Random(0),
        logger=logger,
        options=RuntimeOptions(),
    )
    return output.Status


def _fields(logger: CapturingLogger, event: str) -> dict[str, Any]:
    [record] = [record for record in logger.records if record.event == event]
    return record.fields


async def test_children_grandchildren_and_map_items_log_with_their_parent_ids() -> None:
    logger = CapturingLogger()

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        ctx.logger.info(f"item {index}")
        return value

    async def grandchild(ctx: DurableContext) -> int:
        ctx.logger.info("grandchild")
        return 1

    async def child(ctx: DurableContext) -> int:
        ctx.logger.info("child")
        return await ctx.run_in_child_context(grandchild, name="g")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        ctx.logger.info("root")
        await ctx.run_in_child_context(child, name="c")
        return (await ctx.map([5, 6], item, name="m")).get_results()

    assert await _run(handler, logger) is InvocationStatus.SUCCEEDED

    child_id = operation_id(None, 1)
    map_id = operation_id(None, 2)
    assert "parent_id" not in _fields(logger, "root")
    assert _fields(logger, "child")["parent_id"] == child_id
    assert _fields(logger, "grandchild")["parent_id"] == operation_id(child_id, 1)
    assert _fields(logger, "item 0")["parent_id"] == operation_id(map_id, 0)
    assert _fields(logger, "item 1")["parent_id"] == operation_id(map_id, 1)
    assert all(record.fields["execution_arn"] == ARN for record in logger.records)


async def test_a_logger_set_on_a_child_before_it_logs_replaces_the_bound_one() -> None:
    logger, own = CapturingLogger(), CapturingLogger()

    async def child(ctx: DurableContext) -> int:
        ctx.set_logger(own)
        ctx.logger.info("mine")
        return 1

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.run_in_child_context(child, name="c")

    assert await _run(handler, logger) is InvocationStatus.SUCCEEDED
    assert own.records == [CapturedLog("info", "mine", {})]
    assert [record.event for record in logger.records if record.event == "mine"] == []
