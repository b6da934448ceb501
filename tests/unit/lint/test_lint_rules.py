"""The rule table and how rules are named."""

from __future__ import annotations

import pytest

from durable_lambda.app.lint import RULES, UnknownRuleError, lint_source, rule_named


def test_codes_are_sequential_and_names_unique() -> None:
    assert [rule.code for rule in RULES] == [f"DUR{n:03d}" for n in range(1, len(RULES) + 1)]
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert all(rule.hint and rule.summary for rule in RULES)


@pytest.mark.parametrize("key", ["DUR004", "dur004", " environment "])
def test_a_rule_is_found_by_code_in_any_case_or_by_name(key: str) -> None:
    assert rule_named(key).code == "DUR004"


def test_an_unknown_rule_is_a_typed_error_listing_the_rules() -> None:
    listed = r"no determinism rule 'DUR99'.*DUR001 \(wall-clock\)"
    with pytest.raises(UnknownRuleError, match=listed):
        rule_named("DUR99")


def test_codes_restrict_what_is_reported() -> None:
    source = (
        "import time, uuid\nfrom durable_lambda import DurableContext\n"
        "def handler(event, ctx: DurableContext):\n    return time.time(), uuid.uuid4()\n"
    )
    assert [f.rule.code for f in lint_source(source)] == ["DUR001", "DUR003"]
    assert [f.rule.code for f in lint_source(source, codes={"DUR003"})] == ["DUR003"]


def test_invalid_python_raises_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        lint_source("def (:\n", "broken.py")
