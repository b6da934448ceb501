"""A static determinism checker for durable handlers: ``durable-lambda lint PATH...``.

It reads Python files with ``ast`` (nothing is imported or run), finds the orchestration code
(durable handlers, child-context, map and parallel functions: the code that runs again on every
replay) apart from step bodies (which run once and may do anything), and reports the calls in
orchestration code that make a replay take another path or see other values: the clock,
randomness, UUIDs, the environment, the network, set order, and asyncio constructs that lose
the suspension signal or depend on timing. Each rule is in ``RULES``; see docs/lint.md.

Example:
    >>> from durable_lambda.app.lint import lint_paths
    >>> report = lint_paths(["handlers/"])
    >>> report.exit_code  # 0 clean, 1 findings, 2 a file could not be linted
"""

from durable_lambda.app.lint.checker import lint_source
from durable_lambda.app.lint.files import LintReport, lint_paths
from durable_lambda.app.lint.finding import Finding, ParseProblem
from durable_lambda.app.lint.rules import RULES, Rule, UnknownRuleError, rule_named

__all__ = [
    "RULES",
    "Finding",
    "LintReport",
    "ParseProblem",
    "Rule",
    "UnknownRuleError",
    "lint_paths",
    "lint_source",
    "rule_named",
]
