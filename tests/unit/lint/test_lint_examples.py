"""The repository's own examples: no false positives, and the deliberate mistakes are found.

``docs/examples/determinism.py`` shows each mistake of the determinism page in a handler named
``*_wrong`` beside its fix; the linter must find those (all but ``loyalty_wrong``, whose I/O is
an ordinary function call a static check cannot tell from pure code) and nothing else.
"""

from __future__ import annotations

import ast
from pathlib import Path

from durable_lambda.app.lint import lint_paths
from durable_lambda.app.lint.checker import lint_tree

ROOT = Path(__file__).resolve().parents[3]
DETERMINISM = ROOT / "docs" / "examples" / "determinism.py"


def test_the_examples_are_clean_apart_from_the_deliberate_mistakes() -> None:
    report = lint_paths([ROOT / "examples", ROOT / "docs" / "examples"])
    assert report.files > 10
    assert not report.problems
    outside = [f for f in report.findings if Path(f.path) != DETERMINISM]
    assert outside == []
    assert all(f.function.endswith("_wrong") for f in report.findings)


def test_every_deliberate_mistake_the_code_shows_is_found() -> None:
    tree = ast.parse(DETERMINISM.read_text())
    wrong = {
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and node.name.endswith("_wrong")
    }
    found = {finding.function: finding.rule.name for finding in lint_tree(tree, "determinism.py")}
    assert wrong - set(found) == {"loyalty_wrong"}
    assert found == {
        "elapsed_wrong": "wall-clock",
        "coupon_wrong": "random",
        "payment_wrong": "uuid",
        "deploy_wrong": "set-iteration",
        "greeting_wrong": "environment",
        "supplier_wrong": "completion-order",
    }
