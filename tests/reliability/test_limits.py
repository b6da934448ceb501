"""Payloads over the service's limits: the documented error or fallback, and never a loop.

* a step result over 256 KiB cannot be checkpointed: the service refuses it and the execution
  ends FAILED with a ``CheckpointError`` that gives the size and the limit, after one
  invocation;
* a child context result over 256 KiB is not stored: the context is checkpointed with an empty
  result and ``ReplayChildren``, and the next invocation rebuilds it by replaying the children
  (their steps do not run again);
* an execution result over Lambda's 6 MiB response limit is checkpointed on the EXECUTION
  operation and the invocation returns an empty ``Result``; the stored result is whole.

Each runs on the file store through the orchestrator in this process, counting invocations.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest
from crash_harness import journal
from workflows import FUNCTIONS, KIB, WORKFLOWS

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.app.container import local_container
from durable_lambda.app.loading import load_handler
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.core.model import InvocationOutput, InvocationStatus, OperationType
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus


def run(workflow: str, root: Path) -> tuple[ExecutionRecord, list[InvocationStatus]]:
    """Run ``workflow`` to its end; return the stored record and each invocation's status."""
    statuses: list[InvocationStatus] = []

    async def go() -> ExecutionRecord:
        orchestrator = LocalOrchestrator(
            FileExecutionStore(root), clock=FakeClock(), functions=FUNCTIONS
        )
        arn = await orchestrator.start(WORKFLOWS[workflow], {})
        await asyncio.wait_for(
            orchestrator.run(
                arn, on_progress=lambda p: statuses.append(InvocationStatus(p.status))
            ),
            timeout=120,
        )
        return await FileExecutionStore(root).load(arn)

    return asyncio.run(go()), statuses


@pytest.fixture
def journal_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "journal"
    monkeypatch.setenv("RELIABILITY_JOURNAL", str(path))
    return path


def test_a_step_result_over_256_kib_fails_the_execution_once(
    tmp_path: Path, journal_path: Path
) -> None:
    record, statuses = run("big_step", tmp_path / "store")

    assert record.status is ExecutionStatus.FAILED
    assert statuses == [InvocationStatus.FAILED], "it must end, in one invocation"
    assert record.error is not None
    assert record.error.ErrorType == "CheckpointError"
    message = record.error.ErrorMessage or ""
    assert str(300 * KIB + 2) in message, message  # the size of the payload...
    assert str(256 * KIB) in message, message  # ...and the limit
    assert Counter(line["step"] for line in journal(journal_path) if line["phase"] == "enter") == {
        "blob": 1
    }


def test_a_child_result_over_256_kib_is_rebuilt_by_replaying_its_children(
    tmp_path: Path, journal_path: Path
) -> None:
    record, statuses = run("big_child", tmp_path / "store")

    assert record.status is ExecutionStatus.SUCCEEDED, record.error
    assert json.loads(record.result or "null") == {
        "first": 150 * KIB,
        "second": 150 * KIB,
        "a": 150 * KIB,
    }
    assert statuses == [InvocationStatus.PENDING, InvocationStatus.SUCCEEDED]
    (context,) = (op for op in record.operations.values() if op.Name == "halves")
    assert context.ContextDetails is not None
    assert context.ContextDetails.ReplayChildren is True
    assert not context.ContextDetails.Result, "the oversized result was stored anyway"
    entered = Counter(line["step"] for line in journal(journal_path) if line["phase"] == "enter")
    assert entered == {"half-1": 1, "half-2": 1}, "replaying the children ran their steps again"


def test_a_result_over_6_mib_is_checkpointed_on_the_execution(
    tmp_path: Path, journal_path: Path
) -> None:
    record, statuses = run("big_result", tmp_path / "store")

    assert record.status is ExecutionStatus.SUCCEEDED, record.error
    assert statuses == [InvocationStatus.SUCCEEDED]
    assert record.result == json.dumps("r" * (7 * KIB * KIB))
    (execution,) = (op for op in record.operations.values() if op.Type is OperationType.EXECUTION)
    assert execution.ExecutionDetails is not None


def test_the_invocation_returns_an_empty_result_when_over_6_mib(tmp_path: Path) -> None:
    async def invoke_once() -> tuple[InvocationOutput, ExecutionRecord]:
        service = LocalDurableService(FileExecutionStore(tmp_path), FakeClock())
        arn = await service.start_execution("big_result", "{}")
        event = (await service.invocation_input(arn)).to_wire()
        function = load_handler(WORKFLOWS["big_result"])
        environment = local_container(clock="fake").environment()
        environment = dataclasses.replace(environment, service=service)
        output = await function.invoke_model(event, environment)
        return output, await service.get_record(arn)

    output, record = asyncio.run(invoke_once())
    assert output.Status is InvocationStatus.SUCCEEDED
    assert output.Result == ""
    (execution,) = (op for op in record.operations.values() if op.Type is OperationType.EXECUTION)
    assert execution.Status.value == "SUCCEEDED"
    assert record.result == json.dumps("r" * (7 * KIB * KIB))
