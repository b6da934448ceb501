"""Deadline-aware execution and sagas, end to end through the official emulator (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator._history import event_types, events_of
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator


def _log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_step_that_never_finishes_fails_after_its_retries_instead_of_looping(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    arn = emulator.start_execution("DeadlineNeverFinishes", {"log": str(log)})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    # The handler caught the step's failure: the execution succeeded with what it said.
    assert execution["Status"] == "SUCCEEDED"
    result = json.loads(execution["Result"])
    assert result["before"] == "ok"
    assert result["error_type"] == "StepDeadlineError"
    assert "deadline margin (0.5 s before Lambda's time-out)" in result["message"]
    # Two attempts, each cut short a margin before the invocation's end, then no more.
    assert [entry["attempt"] for entry in _log(log)] == [1, 2]
    failures = [
        e["StepFailedDetails"]["Error"]["Payload"]["ErrorType"]
        for e in events_of(events, "StepFailed")
        if e["Name"] == "stuck"
    ]
    assert failures == ["StepDeadlineError", "StepDeadlineError"]
    # Every invocation ended by itself (PENDING, then the result): none was killed.
    assert len(events_of(events, "InvocationCompleted")) == 2
    assert event_types(events)[-1] == "ExecutionSucceeded"


def test_a_step_reached_after_the_deadline_runs_in_the_next_invocation_as_its_first_attempt(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    event = {"log": str(log), "marker": str(tmp_path / "slowed-once")}
    arn = emulator.start_execution("DeadlineLateStep", event)
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED"
    assert json.loads(execution["Result"]) == ["first", "second"]
    # The deferral made no attempt: the only attempt the step was allowed succeeded.
    assert _log(log) == [{"what": "second attempt", "pid": _log(log)[0]["pid"], "attempt": 1}]
    assert len(events_of(events, "InvocationCompleted")) == 2
    second = [e for e in events if e.get("Name") == "second"]
    assert second[-1]["EventType"] == "StepSucceeded"


def test_a_crash_during_compensation_resumes_without_repeating_a_finished_undo(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    event = {"log": str(log), "marker": str(tmp_path / "crashed-once")}
    arn = emulator.start_execution("SagaCrash", event)
    execution = emulator.wait(arn, timeout=90)  # the emulator waits 5 s before re-invoking
    events = emulator.history(arn)

    assert execution["Status"] == "FAILED"
    error = execution["Error"]
    assert error["ErrorType"] == "SagaError"
    assert error["ErrorMessage"] == (
        "saga 'order' failed with RuntimeError: no courier available; "
        "compensated: undo pack, undo reserve, undo charge"
    )
    undos = [(entry["name"], entry["attempt"]) for entry in _log(log)]
    # "pack" had finished when the process died in "reserve": only "reserve" ran again.
    assert undos == [("pack", 1), ("reserve", 1), ("reserve", 1), ("charge", 1)]
    assert (tmp_path / "crashed-once").exists()
    crashed_pids = {entry["pid"] for entry in _log(log)}
    assert len(crashed_pids) == 2  # the second process took over after the crash
    compensation = [e for e in events if e.get("Name") == "order-compensation"]
    assert [e["EventType"] for e in compensation] == ["ContextStarted", "ContextSucceeded"]
    succeeded = [e["Name"] for e in events_of(events, "StepSucceeded")]
    assert succeeded[-3:] == ["undo pack", "undo reserve", "undo charge"]
