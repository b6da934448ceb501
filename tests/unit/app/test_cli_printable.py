"""``printable``: text from user code cannot drive the terminal the CLI prints it to."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from durable_lambda.app.cli.render import execution_table, printable
from durable_lambda.service.record import ExecutionStatus, ExecutionSummary

NASTY = "a\x1b[2Jb\x1b]0;title\x07c\rd\x08e\x9bf\x7fg\u202eh\u2066i\u2028j\x00k"


def test_every_control_character_is_shown_as_its_escape() -> None:
    shown = printable(NASTY)

    assert shown == (
        "a\\x1b[2Jb\\x1b]0;title\\x07c\\rd\\x08e\\x9bf\\x7fg\\u202eh\\u2066i\\u2028j\\x00k"
    )
    assert all(c.isprintable() for c in shown)


def test_newlines_are_kept_only_when_asked_and_tabs_and_text_always() -> None:
    text = "line one\nline\ttwo: é ü 漢字 🙂"

    assert printable(text, keep_newlines=True) == text
    assert printable(text) == "line one\\nline\ttwo: é ü 漢字 🙂"
    assert printable("\r\n", keep_newlines=True) == "\\r\n"


def test_the_list_table_escapes_names_and_functions() -> None:
    console = Console(width=200, record=True, color_system=None)
    summary = ExecutionSummary(
        DurableExecutionArn="arn:x",
        DurableExecutionName="run\x1b[31m",
        FunctionName="f\x9b2J",
        Status=ExecutionStatus.RUNNING,
        StartTimestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )

    console.print(execution_table([summary], datetime(2026, 1, 1, 0, 1, tzinfo=UTC)))
    out = console.export_text()

    assert "run\\x1b[31m" in out
    assert "f\\x9b2J" in out
    assert "\x1b" not in out
    assert "\x9b" not in out
