"""``repair``: putting a damaged execution file right with the best copy of its record left."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from durable_lambda.adapters.file.recovery import RepairOutcome, RepairReport
from durable_lambda.app.cli.common import (
    err_console,
    open_store,
    resume_hint,
    run_async,
    store_option,
)
from durable_lambda.app.cli.render import printable
from durable_lambda.app.cli.store_lookup import find_folder, repairable_store

__all__ = ["repair"]


@click.command()
@click.argument("execution")
@store_option
def repair(execution: str, store: Path) -> int:
    """Repair EXECUTION, whose file is damaged (for instance emptied by a power cut).

    EXECUTION is the folder name `durable-lambda list` shows for a damaged execution, a full
    ARN, or a unique prefix of its name. The most advanced copy of its record left in its
    folder is stored (the file itself when only its header is damaged, the complete temporary
    file of an interrupted write, a file an earlier repair kept); the damaged file is kept
    beside it as execution.jsonl.corrupt-<time>. When no copy is readable, the damaged file is
    renamed so that the execution is no longer listed (exit 1). Nothing is deleted.
    """
    files = repairable_store(open_store(store).store, store)

    async def go() -> RepairReport:
        return await files.recover(await find_folder(files, execution))

    report = run_async(go())
    console = err_console()
    name = escape(report.directory.name)
    problem = escape(printable(report.problem or ""))
    if report.outcome is RepairOutcome.HEALTHY:
        console.print(f"{name} is not damaged: nothing to repair", soft_wrap=True)
        return 0
    if report.outcome is RepairOutcome.SET_ASIDE or report.restored is None:
        console.print(
            f"[bold red]{name}[/bold red]: nothing could be recovered ({problem}); "
            f"the damaged file was moved to {escape(str(report.kept))} and the execution is "
            "no longer listed",
            soft_wrap=True,
        )
        return 1
    restored = report.restored
    record = restored.record
    check = "verified" if restored.verified else "its checksum could not be checked"
    lines = [
        f"[green]{escape(printable(record.name))} repaired[/green] ({problem})",
        f"  restored from {escape(restored.path.name)} ({check}; checkpoint "
        f"{record.token_sequence}, status {record.status.value})",
    ]
    if report.kept is not None:
        lines.append(f"  the damaged file is kept as {escape(str(report.kept))}")
    if not record.status.is_terminal:
        lines.append(f"continue it with: {escape(printable(resume_hint(record.name, store)))}")
    console.print("\n".join(lines), soft_wrap=True)
    return 0
