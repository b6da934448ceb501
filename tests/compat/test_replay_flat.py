"""Deep replay of the official SDK's records of FLAT maps and parallels (issue 20).

A FLAT branch records no context of its own: its operations sit directly under the batch. The
official SDK 3.0.0 runs each handler (``flat_handlers.py``, and the corpus's ``map_flat``); the
same source, switched to ours, replays each record deeply (``Replayer`` by default), children of
every completed batch included, and must match all of it: every recorded operation visited, the
rebuilt result the recorded one (each case names a last step after it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oracle import CORPUS, HERE, load_ours, official_outcomes

from durable_lambda.app.replayer import from_document
from durable_lambda.testing import Replayer

FLAT = HERE / "flat_handlers.py"
SCENARIOS = list(load_ours(FLAT).SCENARIOS)


@pytest.fixture(scope="module")
def flat_records(official_python: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every ``flat_handlers`` scenario's outcome on the official SDK."""
    return official_outcomes(official_python, [FLAT])


async def _deep_replay(module_path: Path, outcome: dict[str, Any]) -> Any:
    assert outcome["status"] == "SUCCEEDED", outcome
    document = from_document({"Operations": outcome["operations"]}, arn="arn:official-record")
    return await Replayer(load_ours(module_path).handler).replay(document)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_ours_replays_the_official_record_of_a_flat_batch_deeply(
    scenario: str, flat_records: dict[tuple[str, str], dict[str, Any]]
) -> None:
    outcome = flat_records["flat_handlers", scenario]

    report = await _deep_replay(FLAT, outcome)

    assert report.ok, report.render()
    assert report.ended == "returned"
    assert not report.shallow
    # Every operation the code can reach was replayed: the branches' own ones and the step
    # named after the rebuilt result (a branch left running keeps its operations unvisited).
    assert report.matched == report.expected
    assert report.expected == len(outcome["operations"]) - 1 - (scenario == "map_abandons")


def test_the_flat_records_hold_what_the_replay_must_rebuild(
    flat_records: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # Guards the scenarios: the official SDK wrote FLAT records, failures, a summary and a branch
    # left running; else the replay test above would prove less than it says.
    for (_, scenario), outcome in flat_records.items():
        batch = next(op for op in outcome["operations"] if op.get("SubType") in ("Map", "Parallel"))
        children = [op for op in outcome["operations"] if op.get("ParentId") == batch["Id"]]
        assert children, scenario
        assert all(op["Type"] != "CONTEXT" for op in children), scenario
    too_large = flat_records["flat_handlers", "map_too_large"]["operations"]
    assert any((op.get("ContextDetails") or {}).get("ReplayChildren") for op in too_large)
    names = {op.get("Name") for op in flat_records["flat_handlers", "map_failures"]["operations"]}
    assert any("odd item 1" in str(name) for name in names)


async def test_ours_replays_the_official_record_of_the_corpus_flat_map_deeply(
    official_results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    outcome = official_results["map_and_parallel", "map_flat"]

    report = await _deep_replay(CORPUS / "map_and_parallel.py", outcome)

    assert report.ok, report.render()
    assert report.matched == report.expected == 3  # the map and its two items' steps
