"""Steps, retries, waits and child contexts, end to end through boto3 and the official emulator."""

from __future__ import annotations

import json

import pytest

from emulator._history import event_types, events_of, payload
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator


def test_a_failed_attempt_is_retried_in_a_later_invocation(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("StepRetry", {})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED"
    assert json.loads(execution["Result"]) == {"attempt": 2}
    assert event_types(events) == [
        "ExecutionStarted", "StepStarted", "StepFailed", "StepStarted", "StepSucceeded",
        "ExecutionSucceeded",
    ]  # fmt: skip
    failed = events_of(events, "StepFailed")[0]
    assert failed["Name"] == "flaky"
    assert failed["StepFailedDetails"]["Error"]["Payload"]["ErrorType"] == "ConnectionError"
    assert failed["StepFailedDetails"]["RetryDetails"]["NextAttemptDelaySeconds"] == 1
    # The retry is a new invocation: one for the failed attempt, one for the successful one.
    assert len(events_of(events, "InvocationCompleted")) == 2
    succeeded = events_of(events, "StepSucceeded")[0]
    assert payload(succeeded, "StepSucceededDetails") == {"attempt": 2}
    assert len({e["Id"] for e in events if e.get("SubType") == "Step"}) == 1


def test_a_step_out_of_retries_fails_the_execution_with_its_error(
    emulator: EmulatorSession,
) -> None:
    arn = emulator.start_execution("StepFails", {})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "FAILED"
    # The StepError escaped the handler (as the official SDK records it); the step keeps its
    # own error, below.
    assert execution["Error"]["ErrorType"] == "StepError"
    assert "the input was rejected" in execution["Error"]["ErrorMessage"]
    assert event_types(events) == [
        "ExecutionStarted",
        "StepStarted",
        "StepFailed",
        "ExecutionFailed",
    ]
    error = events_of(events, "StepFailed")[0]["StepFailedDetails"]["Error"]["Payload"]
    assert error["ErrorType"] == "ValueError"
    assert error["ErrorMessage"] == "the input was rejected"


def test_a_wait_suspends_the_execution_and_a_new_invocation_resumes_it(
    emulator: EmulatorSession,
) -> None:
    arn = emulator.start_execution("WaitBetweenSteps", {"n": 4})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED"
    assert json.loads(execution["Result"]) == {"before": 5, "after": 50}
    assert event_types(events) == [
        "ExecutionStarted", "StepStarted", "StepSucceeded", "WaitStarted", "WaitSucceeded",
        "ContextStarted", "StepStarted", "StepSucceeded", "ContextSucceeded", "ExecutionSucceeded",
    ]  # fmt: skip
    started = events_of(events, "WaitStarted")[0]
    assert started["Name"] == "pause"
    assert started["WaitStartedDetails"]["Duration"] == 1
    ended = events_of(events, "WaitSucceeded")[0]
    assert (ended["EventTimestamp"] - started["EventTimestamp"]).total_seconds() >= 1
    # The invocation that started the wait ended there; the step before it was not run again.
    assert len(events_of(events, "InvocationCompleted")) == 2
    assert len(events_of(events, "StepStarted")) == 2
    context = events_of(events, "ContextStarted")[0]
    assert (context["Name"], context["SubType"]) == ("child", "RunInChildContext")
    inner = events_of(events, "StepSucceeded")[1]
    assert inner["ParentId"] == context["Id"]
    assert payload(inner, "StepSucceededDetails") == 50
