"""Two processes changing one execution on the file store: no change may be lost.

A callback answered by ``durable-lambda callback succeed`` in one process while an orchestrator
checkpoints the same execution in another is a read-modify-write race on one file; the store's
record lock serialises them. Real processes, real files.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from durable_lambda.adapters.clock.clocks import SystemClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.core.model import (
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)

CALLBACKS = 40

ANSWER = """
import asyncio, sys
from durable_lambda.adapters.clock.clocks import SystemClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.local.service import LocalDurableService

async def main(root, ids):
    service = LocalDurableService(FileExecutionStore(root), SystemClock())
    for callback_id in ids:
        await service.send_callback_success(callback_id, '"ok"')

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


async def test_callbacks_answered_from_two_processes_at_once_are_all_kept(tmp_path: Path) -> None:
    service = LocalDurableService(FileExecutionStore(tmp_path), SystemClock())
    arn = await service.start_execution("f", "{}")
    invocation = await service.invocation_input(arn)
    updates = [
        OperationUpdate(
            Id=f"cb-{i}", Type=OperationType.CALLBACK, Action=OperationAction.START, Name=f"cb{i}"
        )
        for i in range(CALLBACKS)
    ]
    response = await service.checkpoint(arn, invocation.CheckpointToken, updates)
    ids = [
        op.CallbackDetails.CallbackId
        for op in response.NewExecutionState.Operations
        if op.CallbackDetails is not None and op.CallbackDetails.CallbackId
    ]
    assert len(ids) == CALLBACKS

    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", ANSWER, str(tmp_path), *ids[half::2]
        )
        for half in (0, 1)
    ]
    codes = [await process.wait() for process in processes]

    assert codes == [0, 0]
    record = await service.get_record(arn)
    statuses = [record.operations[f"cb-{i}"].Status for i in range(CALLBACKS)]
    assert statuses == [OperationStatus.SUCCEEDED] * CALLBACKS
