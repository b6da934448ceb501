"""How a lint report is printed: lines for people, or JSON for tools."""

from __future__ import annotations

import json

from durable_lambda.app.lint.files import LintReport

__all__ = ["render_json", "render_text"]


def render_text(report: LintReport) -> str:
    """Return the report as people read it: one finding per line, its fix under it, a summary.

    Example:
        ``handler.py:12:15: DUR001 time.time() reads the clock: another time on every replay
        [handler]`` followed by ``    fix: use ctx.now() ...``.
    """
    lines: list[str] = []
    for finding in report.findings:
        lines.append(
            f"{finding.path}:{finding.line}:{finding.column}: {finding.rule.code} "
            f"{finding.message} [{finding.function}]"
        )
        lines.append(f"    fix: {finding.rule.hint}")
    for problem in report.problems:
        lines.append(f"{problem.path}:{problem.line}:{problem.column}: error: {problem.message}")
    lines.append(_summary(report))
    return "\n".join(lines)


def render_json(report: LintReport) -> str:
    """Return the report as JSON: ``findings``, ``problems``, ``files`` and ``exit_code``."""
    document = {
        "findings": [finding.to_json() for finding in report.findings],
        "problems": [problem.to_json() for problem in report.problems],
        "files": report.files,
        "exit_code": report.exit_code,
    }
    return json.dumps(document, indent=2)


def _summary(report: LintReport) -> str:
    checked = _count(report.files, "file")
    if not report.findings and not report.problems:
        return f"no determinism problems ({checked} checked)"
    parts = []
    if report.findings:
        files = len({finding.path for finding in report.findings})
        parts.append(f"{_count(len(report.findings), 'finding')} in {_count(files, 'file')}")
    if report.problems:
        parts.append(f"{_count(len(report.problems), 'file')} not linted")
    return f"{', '.join(parts)} ({checked} checked)"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
