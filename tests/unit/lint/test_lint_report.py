"""How findings are printed: lines for people, JSON for tools."""

from __future__ import annotations

import json
from pathlib import Path

from durable_lambda.app.lint import lint_paths
from durable_lambda.app.lint.report import render_json, render_text

HANDLER = """\
import os
import time
from durable_lambda import DurableContext

async def handler(event, ctx: DurableContext):
    started = time.time()
    return os.environ["STAGE"], started
"""


def test_text_shows_place_code_message_function_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "handler.py"
    path.write_text(HANDLER)
    (tmp_path / "clean.py").write_text("x = 1\n")

    text = render_text(lint_paths([path, tmp_path / "clean.py"]))

    assert text.splitlines() == [
        f"{path}:6:15: DUR001 time.time() reads the clock: another time on every replay [handler]",
        "    fix: use ctx.now() (recorded on the first run, the same on every replay), "
        "or read the clock inside a step",
        f"{path}:7:12: DUR004 os.environ reads the environment, which can change while the "
        "execution is in flight [handler]",
        "    fix: read it inside a step (flag = await ctx.step(lambda s: os.environ.get(...))) "
        "so the execution keeps the value it started with",
        "2 findings in 1 file (2 files checked)",
    ]


def test_text_of_a_clean_run_and_of_a_file_that_could_not_be_read(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    assert render_text(lint_paths([tmp_path])) == "no determinism problems (1 file checked)"

    (tmp_path / "broken.py").write_text("def (:\n")
    lines = render_text(lint_paths([tmp_path])).splitlines()
    assert lines == [
        f"{tmp_path / 'broken.py'}:1:5: error: not valid Python: invalid syntax",
        "1 file not linted (2 files checked)",
    ]


def test_json_carries_every_field_and_the_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "handler.py"
    path.write_text(HANDLER)

    document = json.loads(render_json(lint_paths([path])))

    assert document["files"] == 1
    assert document["exit_code"] == 1
    assert document["problems"] == []
    first = document["findings"][0]
    assert first == {
        "path": str(path),
        "line": 6,
        "column": 15,
        "code": "DUR001",
        "rule": "wall-clock",
        "message": "time.time() reads the clock: another time on every replay",
        "hint": first["hint"],
        "function": "handler",
        "why_orchestration": "it takes a DurableContext",
    }
    assert first["hint"].startswith("use ctx.now()")
