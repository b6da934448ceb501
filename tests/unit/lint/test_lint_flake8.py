"""The flake8 checker class, as flake8 drives it (the e2e test runs flake8 itself)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from durable_lambda.app.lint.flake8_plugin import DeterminismChecker

ROOT = Path(__file__).resolve().parents[3]
SOURCE = """\
import time, uuid
from durable_lambda import DurableContext

async def handler(event, ctx: DurableContext):
    a = time.time()
    b = uuid.uuid4()  # durable: ignore[DUR003]
    return a, b
"""


def test_the_checker_yields_flake8_tuples_with_zero_based_columns() -> None:
    lines = SOURCE.splitlines(keepends=True)
    checker = DeterminismChecker(ast.parse(SOURCE), "handler.py", lines)

    (line, column, text, kind), *rest = list(checker.run())

    assert not rest  # the uuid4 line is silenced by its comment
    assert (line, column, kind) == (5, 8, DeterminismChecker)
    assert text.startswith("DUR001 time.time() reads the clock")
    assert "(fix: use ctx.now()" in text


def test_the_entry_point_names_the_checker_under_the_dur_prefix() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry = project["project"]["entry-points"]["flake8.extension"]["DUR"]
    module, _, name = entry.partition(":")
    assert (module, name) == (DeterminismChecker.__module__, DeterminismChecker.__name__)
