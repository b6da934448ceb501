"""``list``, ``status`` and ``history``: reading executions without running any code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from durable_lambda.adapters.file.layout import repair_command
from durable_lambda.adapters.file.listing import DamagedExecution
from durable_lambda.app.cli.callback_handles import callback_handle
from durable_lambda.app.cli.common import (
    answer_hint,
    err_console,
    find_execution,
    open_store,
    out_console,
    resume_hint,
    run_async,
    store_option,
)
from durable_lambda.app.cli.drivers import Driver, driver_of
from durable_lambda.app.cli.options import CommandError
from durable_lambda.app.cli.progress import callback_label
from durable_lambda.app.cli.render import (
    damaged_label,
    execution_table,
    history_tree,
    printable,
    status_table,
)
from durable_lambda.app.cli.store_lookup import damaged_note, listing
from durable_lambda.app.history_html import render_html
from durable_lambda.app.history_render import execution_timeline
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service import describe_execution
from durable_lambda.service.record import ExecutionRecord

__all__ = ["history", "list_executions", "status"]

_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")


def _load(store: Path, reference: str) -> ExecutionRecord:
    opened = open_store(store)

    async def go() -> ExecutionRecord:
        return await opened.service.get_record(await find_execution(opened, reference))

    return run_async(go())


def _load_with_driver(store: Path, reference: str) -> tuple[ExecutionRecord, Driver | None]:
    """Return the execution and, while it runs, who drives it (None: nobody does)."""
    opened = open_store(store)

    async def go() -> tuple[ExecutionRecord, Driver | None]:
        record = await opened.service.get_record(await find_execution(opened, reference))
        ended = record.status.is_terminal
        return record, None if ended else await driver_of(opened.store, record.arn)

    return run_async(go())


def _now() -> datetime:
    return datetime.now(UTC)


@click.command(name="list")
@store_option
@_json_option
def list_executions(store: Path, as_json: bool) -> int:
    """List the executions in the store, oldest first.

    An execution whose file is damaged is listed last as DAMAGED, by folder name, with the
    problem and the `durable-lambda repair` command that fixes it (with --json: an entry with
    "Status": "DAMAGED", "Folder", "Path", "Problem" and "Repair"). The others are unaffected.
    """
    found = run_async(listing(open_store(store).store))
    executions, damaged = found.executions, found.damaged
    if as_json:
        entries = [summary.to_wire() for summary in executions]
        entries += [_damaged_json(item) for item in damaged]
        click.echo(json.dumps(entries, indent=2))
    elif not executions and not damaged:
        err_console().print(f"no executions in {escape(printable(str(store.absolute())))}")
    else:
        console = out_console()
        console.print(execution_table(executions, _now(), damaged))
        for item in damaged:
            console.print(damaged_note(item), soft_wrap=True)
    return 0


def _damaged_json(damaged: DamagedExecution) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Status": damaged_label(damaged),
        "Folder": damaged.name,
        "Path": str(damaged.path),
        "Problem": damaged.problem,
    }
    if damaged.repairable:
        entry["Repair"] = repair_command(damaged.directory)
    return entry


@click.command()
@click.argument("execution")
@store_option
@_json_option
def status(execution: str, store: Path, as_json: bool) -> int:
    """Show where EXECUTION stands (a full ARN or a unique prefix of its name or id).

    While it runs, says what it waits for, the command that answers each callback, and who
    drives it (the process of a `durable-lambda run` or `resume`), or how to continue it.
    """
    record, driver = _load_with_driver(store, execution)
    if as_json:
        click.echo(json.dumps(describe_execution(record).to_wire(), indent=2))
        return 0
    console = out_console()
    console.print(status_table(record, execution_timeline(record, _now())))
    for op in record.operations.values():
        waiting = op.Type is OperationType.CALLBACK and op.Status is OperationStatus.STARTED
        if waiting and op.CallbackDetails and op.CallbackDetails.CallbackId:
            parent = record.operations.get(op.ParentId) if op.ParentId else None
            name = callback_label(op.Name) or (parent.Name if parent else None)
            label = f"callback {name!r}" if name else "a callback"
            callback_id = op.CallbackDetails.CallbackId
            hint = answer_hint(callback_id, store)
            console.print(
                f"{escape(printable(label))} ({callback_handle(callback_id)}) waits for an "
                f"answer:\n  {escape(printable(hint))}",
                soft_wrap=True,
            )
    if driver is not None:
        console.print(
            f"{driver.describe()} drives it (a `durable-lambda run` or `resume`): it goes on "
            "by itself, and picks up answers sent meanwhile",
            soft_wrap=True,
        )
    elif not record.status.is_terminal:
        hint = resume_hint(record.name, store)
        console.print(f"continue it with: {escape(printable(hint))}", soft_wrap=True)
    return 0


def history_json(record: ExecutionRecord) -> dict[str, Any]:
    """Return an execution, its operations and its history events as JSON-ready data."""
    return {
        "execution": describe_execution(record).to_wire(),
        "operations": [op.to_wire() for op in record.operations.values()],
        "events": [event.to_wire() for event in record.history],
    }


@click.command()
@click.argument("execution")
@store_option
@_json_option
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write a self-contained HTML timeline of the operations to FILE.",
)
def history(execution: str, store: Path, as_json: bool, html_file: Path | None) -> int:
    """Show EXECUTION's operations as a tree nested by parent (or as JSON, or an HTML timeline)."""
    if as_json and html_file is not None:
        raise CommandError("give --json or --html, not both")
    record = _load(store, execution)
    if as_json:
        click.echo(json.dumps(history_json(record), indent=2))
        return 0
    timeline = execution_timeline(record, _now())
    if html_file is not None:
        try:
            html_file.write_text(render_html(record, timeline), encoding="utf-8")
        except OSError as error:
            raise CommandError(
                f"cannot write {html_file}: {error.strerror or error}", exit_code=1
            ) from None
        err_console().print(f"wrote {escape(printable(str(html_file)))}", soft_wrap=True)
        return 0
    out_console().print(history_tree(record, timeline))
    return 0
