"""None under PassThroughSerDes, judged by the official SDK (the ``pass_through`` corpus module).

The oracle's comparison reads an absent payload and ``null`` alike; here the record itself is
compared: an operation has a payload on ours exactly where it has one on the official SDK. And
ours resumes the official SDK's record of each scenario to the same end, reading its payload-less
operations as None (each scenario names a later step after the value it read); it replays that
record deeply, the children of every completed context (FLAT map items too) included.
"""

from __future__ import annotations

from typing import Any

import pytest
from oracle import CORPUS, load_ours, our_outcome

from durable_lambda.app.replayer import from_document
from durable_lambda.testing import Replayer

PASS_THROUGH = CORPUS / "pass_through.py"
SCENARIOS = list(load_ours(PASS_THROUGH).SCENARIOS)
_DETAILS = ("StepDetails", "ContextDetails", "ChainedInvokeDetails")


def _has_payload(operations: list[dict[str, Any]]) -> dict[str, tuple[str | None, bool]]:
    """Each operation the SDK writes, by id: its name and whether it has a result payload.

    Callbacks are left out: their answer is written by the service, and the two local services
    keep an empty answer differently (see ``oracle._payload``).
    """
    kept = {}
    for op in operations:
        details = next((op[key] for key in _DETAILS if op.get(key) is not None), None)
        if details is not None:
            kept[op["Id"]] = (op.get("Name"), details.get("Result") is not None)
    return kept


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_ours_records_no_payload_exactly_where_the_official_sdk_records_none(
    scenario: str, official_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    official = official_results["pass_through", scenario]
    module = load_ours(PASS_THROUGH)
    ours = await our_outcome(module, module.SCENARIOS[scenario])

    assert ours["status"] == official["status"] == "SUCCEEDED"
    assert _has_payload(ours["operations"]) == _has_payload(official["operations"])


def test_the_scenarios_do_record_operations_without_a_payload(
    official_results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # Guards the corpus: the official SDK does write payload-less operations in these scenarios.
    without = {
        scenario
        for scenario in SCENARIOS
        for _, has in _has_payload(
            official_results["pass_through", scenario]["operations"]
        ).values()
        if not has
    }
    # A virtual child and flat items write nothing; an invoke's input is not in its record.
    assert without == set(SCENARIOS) - {"virtual_child", "flat_map_items", "invoke"}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_ours_replays_the_official_sdks_record_reading_none(
    scenario: str, official_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    recorded = official_results["pass_through", scenario]["operations"]
    handler = load_ours(PASS_THROUGH).handler
    document = from_document({"Operations": recorded}, arn="arn:official-record")

    # Deep (the default): the children of every completed context are replayed too, FLAT map
    # items included, and the results rebuilt from them read None where the record has none.
    report = await Replayer(handler).replay(document)

    assert report.ok, report.render()
    assert report.ended == "returned"
    assert report.matched == report.expected
