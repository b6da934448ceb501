"""The pipeline example through the in-memory test runner, as a user would test it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.testing import DurableTestRunner

PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "pipeline"


@pytest.fixture(scope="module")
def handler() -> Iterator[Any]:
    sys.path.insert(0, str(PIPELINE))
    try:
        import handler as pipeline  # type: ignore[import-not-found]

        yield pipeline.handler
    finally:
        sys.path.remove(str(PIPELINE))


EVENT = {"workflowId": "wf-1", "inputData": {"items": ["alpha", "bravo", "charlie"]}}


async def test_an_approved_run_reports_every_stage(handler: Any) -> None:
    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start(EVENT)
    await run.callback("approval").succeed({"approved": True, "reviewer": "ann"})
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    report = result.result
    assert report["workflowId"] == "wf-1"
    assert report["processedItems"] == 3
    assert [item["data"] for item in report["mapResults"]] == ["ALPHA", "BRAVO", "CHARLIE"]
    assert {item["status"] for item in report["mapResults"]} == {"completed"}
    assert set(report["parallelResults"]["results"]) == {"validate", "enrich", "score"}
    assert report["parallelResults"]["errors"] == []
    assert report["checkpointCount"] == 1 + 3 + 7 + (1 + 2 * 3) + 1
    # One checkpointed step per item, under the map.
    items = run.operations(parent="process-items")
    assert [op.name for op in items] == ["item-wf-1-0000", "item-wf-1-0001", "item-wf-1-0002"]


async def test_a_failing_stream_keeps_the_others_results(handler: Any) -> None:
    event = {"workflowId": "wf-2", "inputData": {"items": ["ok", "please fail"]}}
    run = await DurableTestRunner(handler).start(event)
    await run.callback("approval").succeed({"approved": True})
    result = await run.result()

    assert result.status == "SUCCEEDED"
    streams = result.result["parallelResults"]
    assert set(streams["results"]) == {"validate", "score"}
    # What escaped the branch: the step's StepError (the step recorded the ValueError).
    assert [error["type"] for error in streams["errors"]] == ["StepError"]
    assert "please fail" in streams["errors"][0]["message"]
    assert run.step("enrich").attempts == 4  # retried with backoff before giving up


async def test_an_unanswered_approval_times_out_and_continues_with_defaults(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "3600")
    runner = DurableTestRunner(handler)
    start = runner.clock.now()
    result = await runner.run(EVENT)

    assert result.status == "SUCCEEDED"
    assert (runner.clock.now() - start).total_seconds() >= 3600
    # The default approval upper-cases, as an approved one does.
    assert [item["data"] for item in result.result["mapResults"]] == ["ALPHA", "BRAVO", "CHARLIE"]


async def test_bad_input_fails_the_execution_with_a_clear_error(handler: Any) -> None:
    event = {"workflowId": "wf-3", "inputData": {"items": "not a list"}}
    result = await DurableTestRunner(handler).run(event)

    assert result.status == "FAILED"
    assert result.error is not None
    assert "inputData.items must be a list of strings" in (result.error.ErrorMessage or "")
