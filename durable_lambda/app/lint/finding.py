"""What the linter reports: where orchestration code breaks replay, and what it cannot read."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from durable_lambda.app.lint.rules import Rule

__all__ = ["Finding", "Hit", "ParseProblem"]


@dataclass(frozen=True)
class Hit:
    """What a rule found in one node, before it is placed in a file.

    Args:
        node: Where it is (its line and column are reported).
        rule: The rule it breaks.
        message: What the code does and why that breaks replay.
    """

    node: ast.expr | ast.stmt | ast.excepthandler
    rule: Rule
    message: str


@dataclass(frozen=True)
class Finding:
    """A place where orchestration code does something that breaks replay.

    Args:
        path: The file, as it was given (or found under a given folder).
        line: The 1-based line.
        column: The 1-based column.
        rule: The rule it breaks.
        message: What the code does and why that breaks replay.
        function: The orchestration function it is in.
        reason: Why that function is orchestration code (``decorated with @durable_execution``).
    """

    path: str
    line: int
    column: int
    rule: Rule
    message: str
    function: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """Return the finding as the JSON output shows it."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.rule.code,
            "rule": self.rule.name,
            "message": self.message,
            "hint": self.rule.hint,
            "function": self.function,
            "why_orchestration": self.reason,
        }


@dataclass(frozen=True)
class ParseProblem:
    """A file that could not be linted: not Python, or not readable as UTF-8.

    Args:
        path: The file.
        line: The 1-based line of the problem (1 when it is not about one line).
        column: The 1-based column (1 when unknown).
        message: What is wrong.
    """

    path: str
    line: int
    column: int
    message: str

    def to_json(self) -> dict[str, Any]:
        """Return the problem as the JSON output shows it."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }
