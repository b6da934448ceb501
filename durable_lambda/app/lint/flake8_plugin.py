"""The linter as a flake8 plugin: ``flake8 --select DUR`` reports the same findings.

Registered under the ``flake8.extension`` entry point ``DUR``. flake8 reports the code and the
message with the fix; its own ``# noqa: DUR001`` works, and so does ``# durable: ignore``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from durable_lambda.app.lint.checker import lint_tree
from durable_lambda.app.lint.suppress import Suppressions

__all__ = ["DeterminismChecker"]


def _version() -> str:
    try:
        return version("durable-lambda")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown"


class DeterminismChecker:
    """A flake8 checker of durable handlers' determinism (flake8 builds one per file).

    Args:
        tree: The module flake8 parsed.
        filename: Its path.
        lines: Its lines, which carry the ``# durable: ignore`` comments.
    """

    name = "durable-lambda"
    version = _version()

    def __init__(self, tree: ast.Module, filename: str, lines: Sequence[str]) -> None:
        self._tree = tree
        self._filename = filename
        self._source = "".join(lines)

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """Yield ``(line, column from 0, "DUR001 message", type)`` for each finding."""
        suppressions = Suppressions(self._source)
        for finding in lint_tree(self._tree, self._filename):
            if not suppressions.silences(finding.line, finding.rule.code):
                text = f"{finding.rule.code} {finding.message} (fix: {finding.rule.hint})"
                yield finding.line, finding.column - 1, text, type(self)
