"""``run``, ``resume`` and ``replay``: the commands that execute handler code.

``replay`` is defined in ``replay_command`` and re-exported here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import click
from rich.markup import escape

from durable_lambda.app.cli.common import (
    OpenStore,
    err_console,
    find_execution,
    open_store,
    resume_hint,
    run_async,
    store_option,
)
from durable_lambda.app.cli.options import (
    CommandError,
    absolute_target,
    load_functions,
    parse_json,
    parse_json_argument,
    parse_pairs,
)
from durable_lambda.app.cli.progress import ProgressView
from durable_lambda.app.cli.render import printable
from durable_lambda.app.cli.replay_command import replay  # the command lives there
from durable_lambda.app.cli.store_lookup import damaged_note, listing
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.app.user_frames import innermost_user_frame
from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.service.ports import ExecutionLockedError
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

__all__ = ["replay", "resume", "run"]

Until = Literal["end", "suspended"]

_until_option = click.option(
    "--until",
    type=click.Choice(["end", "suspended"]),
    default="end",
    show_default=True,
    help="end: wait through timers and for callbacks; suspended: return once it waits.",
)
_answer_option = click.option(
    "--answer",
    "answers",
    multiple=True,
    metavar="NAME=JSON",
    help="Answer the callback named NAME (or created in a context named NAME) with JSON.",
)
_skip_time_option = click.option(
    "--skip-time",
    is_flag=True,
    help="Skip time: waits, step retries and the execution's time-out end at once (a "
    "callback's time-out still runs in real time, for someone to answer it).",
)
_function_option = click.option(
    "--function",
    "functions",
    multiple=True,
    metavar="NAME=TARGET",
    help="A function that ctx.invoke may call by NAME (file.py:attr or pkg.mod:attr).",
)


def _answers(values: Sequence[str]) -> dict[str, Any]:
    return {
        name: parse_json(text, f"--answer {name}") for name, text in parse_pairs(values, "--answer")
    }


@click.command()
@click.argument("target")
@click.option("--input", "input_", default="{}", metavar="JSON|@FILE", help="The event.")
@click.option("--name", default=None, help="The execution's name (default: a new id).")
@store_option
@_until_option
@_answer_option
@_function_option
@_skip_time_option
def run(
    target: str,
    input_: str,
    name: str | None,
    store: Path,
    until: Until,
    answers: tuple[str, ...],
    functions: tuple[str, ...],
    skip_time: bool,
) -> int:
    """Start an execution of TARGET (path/to/file.py:handler or package.module:handler).

    Prints the result JSON when it succeeds (exit 0); one line with the error when it fails
    (exit 1). With --until suspended it returns as soon as the execution waits (exit 0). With
    --skip-time a three-day wait ends at once.
    """
    event = parse_json_argument(input_, "--input")
    spec = absolute_target(target)
    answer_values = _answers(answers)
    orchestrator = LocalOrchestrator(
        open_store(store).store, functions=load_functions(functions), skip_time=skip_time
    )

    async def go() -> ExecutionRecord:
        arn = await orchestrator.start(spec, event, name=name)
        record = await orchestrator.local_service.get_record(arn)
        err_console().print(
            f"started {escape(printable(record.name))}  [dim]{escape(printable(arn))}[/dim]",
            soft_wrap=True,
        )
        return await _drive(orchestrator, record, store, until, answer_values)

    return _report(run_async(go()), store)


@click.command()
@click.argument("execution", required=False)
@click.option("--all", "all_", is_flag=True, help="Resume every execution still in progress.")
@store_option
@_until_option
@_answer_option
@_function_option
@_skip_time_option
def resume(
    execution: str | None,
    all_: bool,
    store: Path,
    until: Until,
    answers: tuple[str, ...],
    functions: tuple[str, ...],
    skip_time: bool,
) -> int:
    """Continue an execution a previous process left in progress (or --all of them).

    Without EXECUTION, resumes the one execution in progress, if there is exactly one.
    """
    if all_ and execution:
        raise CommandError("give an EXECUTION or --all, not both")
    answer_values = _answers(answers)
    opened = open_store(store)
    orchestrator = LocalOrchestrator(
        opened.store, functions=load_functions(functions), skip_time=skip_time
    )

    async def go() -> list[ExecutionRecord]:
        records = []
        for arn in await _to_resume(opened, execution, all_):
            try:  # a damaged record (CorruptExecutionError) is skipped with --all too
                record = await orchestrator.local_service.get_record(arn)
                if record.status.is_terminal:
                    records.append(record)
                    continue
                err_console().print(f"resuming {escape(printable(record.name))}", soft_wrap=True)
                records.append(await _drive(orchestrator, record, store, until, answer_values))
            except (CommandError, DurableExecutionError) as error:
                # With --all, one execution that cannot be driven must not stop the others.
                if not all_:
                    raise
                err_console().print(f"skipped: {escape(printable(str(error)))}", soft_wrap=True)
        return records

    records = run_async(go())
    if not records:
        err_console().print("nothing to resume: no execution is in progress")
        return 0
    return max(_report(record, store) for record in records)


async def _to_resume(opened: OpenStore, execution: str | None, all_: bool) -> list[str]:
    """Return the ARNs ``resume`` should drive.

    Raises:
        CommandError: No execution is in progress, or several are and none was named.
    """
    if execution:
        return [await find_execution(opened, execution)]
    found = await listing(opened.store)
    for damaged in found.damaged:  # one damaged file must not stop the others: say so
        err_console().print(f"skipped: {damaged_note(damaged)}", soft_wrap=True)
    running = [
        summary.DurableExecutionArn
        for summary in found.executions
        if summary.Status is ExecutionStatus.RUNNING
    ]
    if all_ or len(running) == 1:
        return running
    if not running:
        raise CommandError("no execution is in progress", exit_code=1)
    raise CommandError(f"{len(running)} executions are in progress: name one, or pass --all")


async def _drive(
    orchestrator: LocalOrchestrator,
    record: ExecutionRecord,
    store: Path,
    until: Until,
    answers: Mapping[str, Any],
) -> ExecutionRecord:
    """Drive one execution (the orchestrator holds its lock meanwhile), showing progress."""
    view = ProgressView(
        err_console(), record.name, store, answered=answers.keys(), now=orchestrator.clock.now
    )
    try:
        async with view.showing():
            return await orchestrator.run(
                record.arn, until=until, answers=answers, on_progress=view.on_progress
            )
    except ExecutionLockedError as error:
        holder = f"process {error.holder_pid}" if error.holder_pid else "another process"
        raise CommandError(
            f"execution {record.name} is being driven by {holder}; let it finish or stop it first",
            exit_code=1,
        ) from None


def _report(record: ExecutionRecord, store: Path) -> int:
    """Print how an execution ended (or where it stopped) and return the exit code."""
    console = err_console()
    if record.status is ExecutionStatus.SUCCEEDED:
        result = json.loads(record.result) if record.result else None
        console.print(f"[green]{escape(printable(record.name))} SUCCEEDED[/green]")
        click.echo(json.dumps(result, indent=2))
        return 0
    if record.status is ExecutionStatus.RUNNING:
        console.print(
            f"{escape(printable(record.name))} is suspended (still RUNNING); continue it with:\n"
            f"  {escape(printable(resume_hint(record.name, store)))}",
            soft_wrap=True,
        )
        return 0
    error = record.error
    detail = f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}" if error else "no error"
    line = printable(" ".join(f"{record.name} {record.status.value}: {detail}".split()))
    print(f"durable-lambda: {line}", file=sys.stderr)
    # The line of the user's own code that raised, not the SDK's frames around it.
    frame = innermost_user_frame(error.StackTrace if error else None)
    if frame is not None:
        print(f"  at {printable(frame.describe(Path.cwd()))}", file=sys.stderr)
    return 1
