"""``durable-lambda lint PATH...``: the determinism linter on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from durable_lambda.app.lint.files import lint_paths
from durable_lambda.app.lint.report import render_json, render_text
from durable_lambda.app.lint.rules import RULES, UnknownRuleError, rule_named

__all__ = ["lint"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
@click.option(
    "--select", metavar="RULES", help="Report only these rules (codes or names, comma-separated)."
)
@click.option(
    "--ignore", metavar="RULES", help="Do not report these rules (codes or names, comma-separated)."
)
def lint(paths: tuple[Path, ...], output: str, select: str | None, ignore: str | None) -> int:
    """Report code in durable handlers that breaks replay when it runs outside a step.

    PATHS are Python files or folders (searched for *.py). Exit code 0: nothing found; 1:
    findings; 2: a file that is not valid Python, or a usage error. Silence a line with
    `# durable: ignore[DUR001]` (or a bare `# durable: ignore`).
    """
    codes = _selected(select, "--select") - _selected(ignore, "--ignore", default=set())
    report = lint_paths(paths, codes)
    click.echo(render_json(report) if output == "json" else render_text(report))
    return report.exit_code


def _selected(option: str | None, name: str, default: set[str] | None = None) -> set[str]:
    if option is None:
        return {rule.code for rule in RULES} if default is None else default
    try:
        return {rule_named(key).code for key in option.split(",") if key.strip()}
    except UnknownRuleError as error:
        raise click.BadParameter(str(error), param_hint=name) from None
