"""Callbacks answered through the emulator's callback API."""

from __future__ import annotations

import json

import pytest

from emulator._history import event_types, events_of
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator


def test_a_callback_answered_with_success_resumes_the_execution(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("CallbackApproval", {})
    started = emulator.wait_for_event(arn, "CallbackStarted")
    callback_id = started["CallbackStartedDetails"]["CallbackId"]
    assert started["Name"] == "approval"

    emulator.client.send_durable_execution_callback_success(
        CallbackId=callback_id, Result=json.dumps({"by": "reviewer"}).encode()
    )
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED"
    # The answer is handed over as the sender's text, as the official SDK does.
    assert json.loads(execution["Result"]) == {"approved": True, "answer": '{"by": "reviewer"}'}
    assert event_types(events) == [
        "ExecutionStarted", "CallbackStarted", "CallbackSucceeded", "ExecutionSucceeded",
    ]  # fmt: skip
    succeeded = events_of(events, "CallbackSucceeded")[0]
    assert succeeded["Id"] == started["Id"]
    assert json.loads(succeeded["CallbackSucceededDetails"]["Result"]["Payload"]) == {
        "by": "reviewer"
    }
    # Suspended while waiting for the answer, then invoked again once it arrived.
    assert len(events_of(events, "InvocationCompleted")) == 2


def test_a_callback_answered_with_failure_raises_in_the_handler(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("CallbackApproval", {})
    started = emulator.wait_for_event(arn, "CallbackStarted")

    emulator.client.send_durable_execution_callback_failure(
        CallbackId=started["CallbackStartedDetails"]["CallbackId"],
        Error={"ErrorType": "Rejected", "ErrorMessage": "not this time"},
    )
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED"
    assert json.loads(execution["Result"]) == {
        "approved": False,
        "error_type": "CallbackExternalError",  # the official SDK's class, as it reports it
        "sender_error_type": "Rejected",
        "message": "not this time",
    }
    failed = events_of(events, "CallbackFailed")[0]
    assert failed["CallbackFailedDetails"]["Error"]["Payload"]["ErrorType"] == "Rejected"
