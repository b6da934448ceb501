"""The linter on a corpus of handlers: each ``# expect: DURnnn`` line is a finding, nothing else.

Every rule has a ``bad_<rule>.py`` file with the hazards it catches and the near misses it must
not report (the same call in a step, a deterministic variant); ``good_*.py`` files have no
finding; ``aliases.py``, ``ignore_comments.py``, ``nesting.py`` and ``official_sdk.py`` cover
import aliases, ignore comments, which nested code is orchestration, and the official SDK.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from durable_lambda.app.lint import RULES, Rule, lint_paths, lint_source

CORPUS = Path(__file__).parent / "corpus"
_EXPECT = re.compile(r"# expect: (?P<codes>DUR\d{3}(?:, DUR\d{3})*)\s*$")


def expected(path: Path) -> set[tuple[int, str]]:
    """Return the (line, code) pairs the file's ``# expect:`` comments announce."""
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found.update((number, code) for code in match["codes"].split(", "))
    return found


def found(path: Path) -> set[tuple[int, str]]:
    findings = lint_source(path.read_text(encoding="utf-8"), str(path))
    return {(finding.line, finding.rule.code) for finding in findings}


CORPUS_FILES = sorted(CORPUS.glob("*.py"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[path.stem for path in CORPUS_FILES])
def test_the_linter_finds_exactly_what_the_corpus_file_expects(path: Path) -> None:
    assert found(path) == expected(path)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_every_rule_has_a_bad_file_of_its_own(rule: Rule) -> None:
    path = CORPUS / f"bad_{rule.name.replace('-', '_')}.py"
    codes = [code for _, code in expected(path)]
    assert len(codes) >= 2, f"{path.name} should show the rule more than once"
    assert set(codes) == {rule.code}, f"{path.name} should only break {rule.code}"


def test_good_files_expect_nothing() -> None:
    good = sorted(CORPUS.glob("good_*.py"))
    assert len(good) >= 3
    assert all(not expected(path) for path in good)


def test_linting_the_corpus_folder_reports_each_file_s_findings() -> None:
    report = lint_paths([CORPUS])
    assert report.files == len(CORPUS_FILES)
    assert not report.problems
    by_file = {(Path(f.path).name, f.line, f.rule.code) for f in report.findings}
    assert by_file == {
        (path.name, line, code) for path in CORPUS_FILES for line, code in expected(path)
    }
    assert report.exit_code == 1
