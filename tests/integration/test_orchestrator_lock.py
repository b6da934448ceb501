"""The local orchestrator holds an execution's run lock while it drives it (file store)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from durable_lambda.adapters.file import ExecutionLockedError, FileExecutionStore
from durable_lambda.app.orchestrator import LocalOrchestrator

WAITS_FOR_APPROVAL = """
    from durable_lambda import (
        DurableContext, PlainJsonSerDes, WaitForCallbackConfig, durable_execution,
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="approval",
            config=WaitForCallbackConfig(serdes=PlainJsonSerDes()),  # the answer is JSON
        )
"""


async def test_a_second_orchestrator_cannot_drive_an_execution_being_driven(
    tmp_path: Path,
) -> None:
    module = tmp_path / "approval.py"
    module.write_text(textwrap.dedent(WAITS_FOR_APPROVAL))
    store = FileExecutionStore(tmp_path / ".durable")
    first = LocalOrchestrator(store, poll_interval=0.01)
    arn = await first.start(f"{module}:handler", {})
    driving = asyncio.create_task(first.run(arn, answers={}))
    await asyncio.sleep(0.3)  # the first driver now waits for the callback, holding the lock

    second = LocalOrchestrator(FileExecutionStore(tmp_path / ".durable"))
    with pytest.raises(ExecutionLockedError):
        await second.run(arn)
    assert await second.resume_all() == []  # left to the driver that holds it

    await first.local_service.send_callback_success((await _callback_id(first, arn)), '"yes"')
    record = await asyncio.wait_for(driving, timeout=30)
    assert record.result == '"yes"'


async def _callback_id(orchestrator: LocalOrchestrator, arn: str) -> str:
    record = await orchestrator.local_service.get_record(arn)
    for op in record.operations.values():
        if op.CallbackDetails is not None and op.CallbackDetails.CallbackId:
            return op.CallbackDetails.CallbackId
    raise AssertionError("no callback yet")
