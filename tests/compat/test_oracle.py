"""Every corpus handler, run unchanged but for its imports on both SDKs, ends the same way.

Status, result, error type and message, and every operation (id, parent, type, subtype, name,
status, attempt, result and error) must be equal. A scenario whose outcome depends on timing
(which branch finishes first) lists the operations concerned in ``TIMING``; only their identity
is compared; one whose error message is each SDK's own wording lists its operations in
``own_words``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oracle import comparable, corpus_paths, load_ours, our_outcome, switch_imports

CASES = [(path, scenario) for path in corpus_paths() for scenario in load_ours(path).SCENARIOS]


@pytest.mark.parametrize("always_replay", [False, True], ids=["", "always-replay"])
@pytest.mark.parametrize(
    ("path", "scenario"), CASES, ids=[f"{path.stem}-{scenario}" for path, scenario in CASES]
)
async def test_the_same_source_ends_the_same_way_on_both_sdks(
    path: Path,
    scenario: str,
    always_replay: bool,
    official_results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # With always_replay, ours also replays the handler from the top after every operation.
    module = load_ours(path)
    spec = module.SCENARIOS[scenario]
    rules = {
        "ignore": frozenset(spec.get("timing", ())),
        "own_words": frozenset(spec.get("own_words", ())),
    }
    theirs = comparable(official_results[path.stem, scenario], **rules)
    ours = comparable(await our_outcome(module, spec, always_replay=always_replay), **rules)
    assert ours == theirs


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda path: path.stem)
def test_only_import_lines_are_switched(path: Path) -> None:
    source = path.read_text()
    switched = switch_imports(source)
    changed = [
        (before, after)
        for before, after in zip(source.splitlines(), switched.splitlines(), strict=True)
        if before != after
    ]
    assert changed, "the corpus module imports the official SDK"
    assert all(after.lstrip().startswith(("from ", "import ")) for _, after in changed)
    assert "aws_durable_execution_sdk_python" not in switched
