"""Chained invokes of a durable target, a plain target and a failing target."""

from __future__ import annotations

import json

import pytest

from emulator._history import events_of
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator


def test_chained_invokes_return_the_targets_results_and_errors(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("InvokeTargets", {"n": 3})
    execution = emulator.wait(arn, timeout=90)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"]) == {
        "durable": {"doubled": 6},
        "plain": {"squared": 9},
        "failure": "PermissionError",
    }
    started = events_of(events, "ChainedInvokeStarted")
    assert [e["Name"] for e in started] == ["durable-target", "plain-target", "failing-target"]
    assert [e["ChainedInvokeStartedDetails"]["FunctionName"] for e in started] == [
        "DurableTarget", "PlainTarget", "FailingTarget",
    ]  # fmt: skip
    assert all(e["SubType"] == "ChainedInvoke" for e in started)
    succeeded = events_of(events, "ChainedInvokeSucceeded")
    results = [e["ChainedInvokeSucceededDetails"]["Result"]["Payload"] for e in succeeded]
    assert [json.loads(r) for r in results] == [{"doubled": 6}, {"squared": 9}]
    failed = events_of(events, "ChainedInvokeFailed")[0]
    assert (
        failed["ChainedInvokeFailedDetails"]["Error"]["Payload"]["ErrorType"] == "PermissionError"
    )


def test_the_emulator_runs_durable_targets_as_executions_and_plain_ones_once(
    emulator: EmulatorSession,
) -> None:
    emulator.endpoint.invocations.clear()
    emulator.run("InvokeTargets", {"n": 1}, timeout=90)

    calls = emulator.endpoint.invocations
    # Durable handlers (parent and durable target) are invoked with the emulator's marker;
    # plain targets are invoked as any caller's Invoke, once each.
    assert ("DurableTarget", True) in calls
    assert calls.count(("PlainTarget", False)) == 1
    assert calls.count(("FailingTarget", False)) == 1
    assert all(marked for name, marked in calls if name == "InvokeTargets")
