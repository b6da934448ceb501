"""Lint files and folders: find the Python files, read them, collect findings and problems."""

from __future__ import annotations

import tokenize
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from durable_lambda.app.lint.checker import lint_source
from durable_lambda.app.lint.finding import Finding, ParseProblem

__all__ = ["EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_PROBLEM", "LintReport", "lint_paths"]

EXIT_CLEAN = 0
"""Every file was read and nothing breaks replay."""
EXIT_FINDINGS = 1
"""At least one finding."""
EXIT_PROBLEM = 2
"""A path does not exist or a file is not Python (takes precedence over findings)."""

# Folders never searched for handlers: tools' caches and virtual environments.
_SKIPPED = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})


@dataclass(frozen=True)
class LintReport:
    """What linting some paths found.

    Args:
        findings: Every finding, file by file, in line order.
        problems: The paths that could not be linted.
        files: How many Python files were read.
    """

    findings: tuple[Finding, ...]
    problems: tuple[ParseProblem, ...]
    files: int

    @property
    def exit_code(self) -> int:
        """2 if a path could not be linted, else 1 if anything was found, else 0."""
        if self.problems:
            return EXIT_PROBLEM
        return EXIT_FINDINGS if self.findings else EXIT_CLEAN


def lint_paths(paths: Iterable[str | Path], codes: Collection[str] | None = None) -> LintReport:
    """Lint every Python file among ``paths`` (folders are searched for ``*.py`` files).

    Hidden folders (``.venv``, ``.git``), ``__pycache__``, ``node_modules`` and virtual
    environments are skipped; a file named explicitly is read whatever its name.

    Args:
        paths: Files and folders.
        codes: The rule codes to report (default: all).

    Returns:
        The findings, the paths that could not be read or parsed, and the number of files.

    Example:
        >>> report = lint_paths(["handlers/"])
        >>> for finding in report.findings:
        ...     print(finding.path, finding.line, finding.rule.code, finding.message)
    """
    findings: list[Finding] = []
    problems: list[ParseProblem] = []
    count = 0
    for path in _python_files(Path(p) for p in paths):
        if not path.exists():
            problems.append(ParseProblem(str(path), 1, 1, "no such file or folder"))
            continue
        count += 1
        found, problem = _lint_file(path, codes)
        findings.extend(found)
        problems.extend([problem] if problem else [])
    return LintReport(tuple(findings), tuple(problems), count)


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*.py")):
            parts = found.relative_to(path).parts[:-1]
            if not any(part.startswith(".") or part in _SKIPPED for part in parts):
                yield found


def _lint_file(
    path: Path, codes: Collection[str] | None
) -> tuple[list[Finding], ParseProblem | None]:
    try:
        with tokenize.open(path) as file:  # honours a ``# -*- coding: ... -*-`` line
            source = file.read()
        return lint_source(source, str(path), codes), None
    except SyntaxError as error:
        line, column = error.lineno or 1, error.offset or 1
        return [], ParseProblem(str(path), line, column, f"not valid Python: {error.msg}")
    except (UnicodeDecodeError, OSError) as error:
        return [], ParseProblem(str(path), 1, 1, f"cannot read the file: {error}")
