"""Load: 1,000 executions at once on the file store, and a map of 10,000 items, losing nothing.

Every check reads the stored records back: each operation id is unique, every expected
operation exists under the right parent, and every one SUCCEEDED. The wall times are printed
with the suite's figures.

The file store rewrites an execution's whole record on every checkpoint, so a map's cost there
grows with the square of its size (10,000 items take about two minutes on a CI machine, against
four seconds in memory): CI maps 2,000 items on the file store; ``RELIABILITY_FILE_MAP_ITEMS``
sets another number (10000 for the full run).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from workflows import FUNCTIONS, WORKFLOWS

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.ports import ExecutionStore
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

EXECUTIONS = 1_000
MAP_ITEMS = 10_000
FILE_MAP_ITEMS = int(os.environ.get("RELIABILITY_FILE_MAP_ITEMS", "2000"))


def assert_all_succeeded(record: ExecutionRecord) -> None:
    operations = list(record.operations.values())
    assert len({op.Id for op in operations}) == len(operations), "duplicated operation ids"
    failed = [op for op in operations if op.Status is not OperationStatus.SUCCEEDED]
    assert not failed, f"operations not SUCCEEDED: {failed[:3]}"


async def run_many(root: Path) -> tuple[float, list[ExecutionRecord]]:
    store = FileExecutionStore(root)
    orchestrator = LocalOrchestrator(store, clock=FakeClock(), functions=FUNCTIONS)
    started = time.monotonic()
    arns = [await orchestrator.start(WORKFLOWS["steps"], {"n": n}) for n in range(EXECUTIONS)]
    await asyncio.gather(*(orchestrator.run(arn) for arn in arns))
    elapsed = time.monotonic() - started
    fresh = FileExecutionStore(root)  # read back from disk, nothing cached
    summaries = await fresh.list_executions()
    assert len(summaries) == EXECUTIONS
    return elapsed, [await fresh.load(summary.DurableExecutionArn) for summary in summaries]


def test_a_thousand_executions_at_once_on_the_file_store(
    tmp_path: Path, figures: Callable[[str, Any], None]
) -> None:
    elapsed, records = asyncio.run(run_many(tmp_path / "store"))

    assert len({record.arn for record in records}) == EXECUTIONS
    inputs = set()
    for record in records:
        assert record.status is ExecutionStatus.SUCCEEDED, record.error
        n = json.loads(record.input_payload or "{}")["n"]
        inputs.add(n)
        assert json.loads(record.result or "null") == {
            "a": n + 1,
            "b": (n + 1) * 2,
            "c": (n + 1) * 2 + 100,
            "d": (n + 1) * 2 + 99,
        }
        assert_all_succeeded(record)
        steps = [
            op.Name or "" for op in record.operations.values() if op.Type is OperationType.STEP
        ]
        assert sorted(steps) == ["a", "b", "c", "d"]
    assert inputs == set(range(EXECUTIONS))
    figures(f"{EXECUTIONS} concurrent executions, file store (s)", round(elapsed, 1))


async def run_map(store: ExecutionStore, items: int) -> tuple[float, ExecutionRecord]:
    orchestrator = LocalOrchestrator(store, clock=FakeClock(), functions=FUNCTIONS)
    started = time.monotonic()
    arn = await orchestrator.start(WORKFLOWS["big_map"], {"items": items})
    await orchestrator.run(arn)
    elapsed = time.monotonic() - started
    if isinstance(store, FileExecutionStore):
        store = FileExecutionStore(store.root)  # read back from disk
    return elapsed, await store.load(arn)


def assert_map_complete(record: ExecutionRecord, items: int) -> None:
    assert record.status is ExecutionStatus.SUCCEEDED, record.error
    assert json.loads(record.result or "null") == {"count": items, "total": items * (items - 1)}
    assert_all_succeeded(record)
    operations = list(record.operations.values())
    kinds = Counter((op.Type, op.SubType) for op in operations)
    assert kinds == {
        (OperationType.EXECUTION, None): 1,
        (OperationType.CONTEXT, "Map"): 1,
        (OperationType.CONTEXT, "MapIteration"): items,
        (OperationType.STEP, "Step"): items,
    }
    (the_map,) = (op for op in operations if op.SubType == "Map")
    iterations = {op.Id: op for op in operations if op.SubType == "MapIteration"}
    assert {op.ParentId for op in iterations.values()} == {the_map.Id}
    assert sorted(op.Name or "" for op in iterations.values()) == sorted(
        f"map-item-{index}" for index in range(items)
    )
    steps = [op for op in operations if op.Type is OperationType.STEP]
    assert Counter(op.ParentId for op in steps) == Counter(dict.fromkeys(iterations, 1)), (
        "an item has no step, or two"
    )


def test_a_map_of_ten_thousand_items_in_memory(figures: Callable[[str, Any], None]) -> None:
    elapsed, record = asyncio.run(run_map(InMemoryExecutionStore(), MAP_ITEMS))
    assert_map_complete(record, MAP_ITEMS)
    figures(f"map of {MAP_ITEMS} items, in memory (s)", round(elapsed, 1))


@pytest.mark.slow
def test_a_big_map_on_the_file_store(tmp_path: Path, figures: Callable[[str, Any], None]) -> None:
    elapsed, record = asyncio.run(run_map(FileExecutionStore(tmp_path), FILE_MAP_ITEMS))
    assert_map_complete(record, FILE_MAP_ITEMS)
    figures(f"map of {FILE_MAP_ITEMS} items, file store (s)", round(elapsed, 1))
