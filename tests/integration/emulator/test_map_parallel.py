"""Map and parallel: one CONTEXT per item or branch under a parent CONTEXT."""

from __future__ import annotations

import json

import pytest

from emulator._history import events_of
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator


def test_map_runs_every_item_in_its_own_child_context(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("MapSquares", {"items": [1, 2, 3]})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"]) == [1, 4, 9]
    contexts = events_of(events, "ContextStarted")
    parent = next(e for e in contexts if e.get("SubType") == "Map")
    assert parent["Name"] == "squares"
    items = [e for e in contexts if e.get("SubType") == "MapIteration"]
    assert sorted(e["Name"] for e in items) == ["map-item-0", "map-item-1", "map-item-2"]
    assert all(e["ParentId"] == parent["Id"] for e in items)
    steps = events_of(events, "StepSucceeded")
    assert sorted(e["Name"] for e in steps) == ["square-0", "square-1", "square-2"]
    assert {e["ParentId"] for e in steps} == {e["Id"] for e in items}


def test_parallel_branches_finish_independently(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("ParallelBranches", {})
    execution = emulator.wait(arn)
    events = emulator.history(arn)

    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"]) == ["left", "right"]
    contexts = events_of(events, "ContextStarted")
    parent = next(e for e in contexts if e.get("SubType") == "Parallel")
    assert parent["Name"] == "branches"
    branches = [e for e in contexts if e.get("SubType") == "ParallelBranch"]
    assert sorted(e["Name"] for e in branches) == ["parallel-branch-0", "parallel-branch-1"]
    # The right branch's wait suspends the execution; the left branch's step is not rerun.
    assert len(events_of(events, "StepStarted")) == 1
    assert len(events_of(events, "WaitSucceeded")) == 1
    assert events_of(events, "ContextSucceeded")[-1]["Id"] == parent["Id"]
