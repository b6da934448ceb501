"""Linting files and folders: what is searched, what cannot be read, and the exit codes."""

from __future__ import annotations

from pathlib import Path

from durable_lambda.app.lint import lint_paths
from durable_lambda.app.lint.files import EXIT_CLEAN, EXIT_FINDINGS, EXIT_PROBLEM

BAD = (
    "import time\nfrom durable_lambda import DurableContext\n"
    "async def handler(event, ctx: DurableContext):\n    return time.time()\n"
)
GOOD = (
    "from durable_lambda import DurableContext\n"
    "async def handler(event, ctx: DurableContext):\n    return ctx.now()\n"
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_is_searched_for_python_files_but_not_hidden_or_tool_folders(
    tmp_path: Path,
) -> None:
    write(tmp_path / "app" / "handler.py", BAD)
    write(tmp_path / "app" / "clean.py", GOOD)
    write(tmp_path / "app" / "notes.txt", BAD)
    for skipped in (".venv/lib", ".git", "app/__pycache__", "node_modules/x", "venv"):
        write(tmp_path / skipped / "hidden.py", BAD)

    report = lint_paths([tmp_path])

    assert report.files == 2
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in report.findings] == [
        "app/handler.py"
    ]
    assert report.exit_code == EXIT_FINDINGS


def test_a_file_named_explicitly_is_linted_whatever_its_name(tmp_path: Path) -> None:
    script = write(tmp_path / "handler", BAD)
    report = lint_paths([script])
    assert [(f.path, f.line, f.rule.code) for f in report.findings] == [(str(script), 4, "DUR001")]


def test_a_clean_tree_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "clean.py", GOOD)
    report = lint_paths([tmp_path])
    assert (report.files, report.findings, report.exit_code) == (1, (), EXIT_CLEAN)


def test_a_file_that_is_not_python_is_a_problem_with_its_line_and_exit_2(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.py", "x = 1\ndef (:\n")
    write(tmp_path / "handler.py", BAD)

    report = lint_paths([tmp_path])

    (problem,) = report.problems
    assert (problem.path, problem.line) == (str(broken), 2)
    assert problem.message.startswith("not valid Python: ")
    assert len(report.findings) == 1  # the other files are still linted
    assert report.exit_code == EXIT_PROBLEM


def test_an_undecodable_file_and_a_missing_path_are_problems(tmp_path: Path) -> None:
    latin = write(tmp_path / "latin.py", b"name = '\xe9'\n")
    missing = tmp_path / "missing.py"

    report = lint_paths([latin, missing])

    messages = {Path(p.path).name: p.message for p in report.problems}
    assert "encoding declaration" in messages["latin.py"]
    assert messages["missing.py"] == "no such file or folder"
    assert report.files == 1
    assert report.exit_code == EXIT_PROBLEM


def test_a_coding_declaration_is_honoured(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + BAD.replace("return", "name = '\xe9'; return")
    declared = write(tmp_path / "declared.py", source.encode("latin-1"))
    report = lint_paths([declared])
    assert not report.problems
    assert [f.rule.code for f in report.findings] == ["DUR001"]
