"""``stop``, ``delete`` and ``prune``: ending an execution from outside, and letting it go.

``stop`` ends a running execution STOPPED, as the service's ``StopDurableExecution`` does; a
process driving it sees that and ends too. ``delete`` and ``prune`` remove executions from the
store (a ``DeletingExecutionStore``): only executions that have ended, unless ``--force``, and
never one another process drives (the command holds its lock while it removes it). Each removed
execution is printed on stdout, one line each.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape

from durable_lambda.app.cli.common import (
    OpenStore,
    at_executions_time,
    err_console,
    find_execution,
    open_store,
    run_async,
    store_label,
    store_option,
)
from durable_lambda.app.cli.drivers import Driver, driver_of
from durable_lambda.app.cli.options import CommandError, parse_duration
from durable_lambda.app.cli.render import printable
from durable_lambda.app.cli.store_lookup import listing
from durable_lambda.core.model import ErrorObject
from durable_lambda.service.ports import (
    DeletingExecutionStore,
    ExecutionLockedError,
    LockingExecutionStore,
)
from durable_lambda.service.record import ExecutionStatus, ExecutionSummary
from durable_lambda.service.retention import may_remove, older_than

__all__ = ["delete", "prune", "stop"]


@click.command()
@click.argument("execution")
@click.option("--error-type", default=None, metavar="T", help="Why, as an error type.")
@click.option("--error-message", default=None, metavar="M", help="Why, in words.")
@click.option("--error-data", default=None, metavar="TEXT", help="Data to attach to the error.")
@store_option
def stop(
    execution: str,
    error_type: str | None,
    error_message: str | None,
    error_data: str | None,
    store: Path,
) -> int:
    """Stop EXECUTION: it ends STOPPED, as the service's StopDurableExecution ends it.

    Its error is "Execution stopped by user request" unless --error-* says otherwise. A
    process driving it (a `durable-lambda run` or `resume`) sees it stopped and ends. Stopping an
    execution stopped already does nothing (exit 0); one that ended otherwise is an error.
    """
    opened = open_store(store)
    given = any(value is not None for value in (error_type, error_message, error_data))
    error = (
        ErrorObject(ErrorType=error_type, ErrorMessage=error_message, ErrorData=error_data)
        if given
        else None
    )

    async def go() -> tuple[bool, ExecutionSummary, Driver | None]:
        arn = await find_execution(opened, execution)
        driver = await driver_of(opened.store, arn)
        service = await at_executions_time(opened, arn)
        stopped = await service.stop_execution(arn, error)
        return stopped, (await opened.service.get_record(arn)).summary(), driver

    stopped, summary, driver = run_async(go())
    name = summary.DurableExecutionName
    if not stopped:
        if summary.Status is ExecutionStatus.STOPPED:
            err_console().print(f"{escape(printable(name))} was stopped already", soft_wrap=True)
            return 0
        raise CommandError(
            f"{name} has already ended ({summary.Status.value}): there is nothing to stop",
            exit_code=1,
        )
    ends = f"; {driver.describe()}, which was driving it, ends with it" if driver else ""
    err_console().print(f"{escape(printable(name))} STOPPED{escape(ends)}", soft_wrap=True)
    return 0


@click.command()
@click.argument("executions", nargs=-1, required=True, metavar="EXECUTION...")
@click.option(
    "--force",
    is_flag=True,
    help="Delete executions still running too (never one another process drives).",
)
@store_option
def delete(executions: tuple[str, ...], force: bool, store: Path) -> int:
    """Delete EXECUTION (or several) from the store, for good.

    Only an execution that has ended is deleted, unless --force; never one a process is
    driving (stop it first). Prints each execution deleted.
    """
    opened = open_store(store)
    deleting = _deleting(opened)

    async def go() -> None:
        arns = [await find_execution(opened, reference) for reference in executions]
        for arn in dict.fromkeys(arns):  # each once, in the order given
            _deleted(await _delete(opened, deleting, arn, force=force))

    run_async(go())
    return 0


@click.command()
@click.option(
    "--older-than",
    "age",
    required=True,
    metavar="DURATION",
    help="Delete executions that ended at least this long ago: 7d, 12h, 30m, 90s, 1d12h...",
)
@click.option(
    "--force",
    is_flag=True,
    help="Delete executions still running too, that started that long ago (never one another "
    "process drives).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; delete nothing.")
@store_option
def prune(age: str, force: bool, dry_run: bool, store: Path) -> int:
    """Delete every execution that ended more than --older-than ago.

    Running executions stay, unless --force; one another process drives always stays (it is
    listed as skipped). Prints each execution deleted, or with --dry-run, each it would delete.
    """
    span = parse_duration(age, "--older-than")
    opened = open_store(store)
    deleting = _deleting(opened)
    now = datetime.now(UTC)

    async def go() -> int:
        count = 0
        for summary in (await listing(opened.store)).executions:
            if not older_than(summary, span, now, force=force):
                continue
            if dry_run:
                click.echo(f"would delete {_line(summary)}")
                count += 1
                continue
            try:
                _deleted(await _delete(opened, deleting, summary.DurableExecutionArn, force=force))
                count += 1
            except CommandError as skipped:  # one driven execution must not stop the others
                err_console().print(f"skipped: {escape(printable(str(skipped)))}", soft_wrap=True)
        return count

    count = run_async(go())
    where = escape(printable(store_label(store)))
    if not count:
        what = "started or ended" if force else "ended"
        err_console().print(f"nothing to prune: no execution in {where} {what} {age} or more ago")
    elif dry_run:
        err_console().print(f"{count} to delete from {where} (--dry-run: nothing was deleted)")
    else:
        err_console().print(f"deleted {count} from {where}")
    return 0


def _deleting(opened: OpenStore) -> DeletingExecutionStore:
    """Return the store as one that deletes.

    Raises:
        CommandError: it cannot delete executions.
    """
    store = opened.store
    if isinstance(store, DeletingExecutionStore):
        return store
    raise CommandError(
        f"{store_label(opened.where)} (a {type(store).__name__}) cannot delete executions: it "
        "has no delete(arn) (see DeletingExecutionStore)"
    )


async def _delete(
    opened: OpenStore, store: DeletingExecutionStore, arn: str, *, force: bool
) -> ExecutionSummary:
    """Delete execution ``arn`` under its lock, if it may go; return what it was.

    Raises:
        CommandError: another process drives it, or it runs and ``force`` is not given.
    """
    guard = (
        store.lock(arn) if isinstance(store, LockingExecutionStore) else contextlib.nullcontext()
    )
    summary = (await opened.service.get_record(arn)).summary()
    name = summary.DurableExecutionName
    try:
        async with guard:
            summary = (await opened.service.get_record(arn)).summary()
            if not may_remove(summary.Status, force=force):
                raise CommandError(
                    f"{name} is still {summary.Status.value}: only an execution that has ended "
                    f"is deleted (stop it first with `durable-lambda stop {name}`, or pass "
                    "--force)",
                    exit_code=1,
                )
            await store.delete(arn)
    except ExecutionLockedError as error:
        driver = Driver(error.holder_pid).describe()
        raise CommandError(
            f"{name} is being driven by {driver}: it is not deleted (stop it first with "
            f"`durable-lambda stop {name}`)",
            exit_code=1,
        ) from None
    return summary


def _deleted(summary: ExecutionSummary) -> None:
    click.echo(f"deleted {_line(summary)}")
    sys.stdout.flush()  # each line as it happens: a later error must not hide what went


def _line(summary: ExecutionSummary) -> str:
    ended = summary.EndTimestamp
    when = f"  ended {ended.isoformat(timespec='seconds')}" if ended else "  running"
    return printable(
        f"{summary.DurableExecutionName}  {summary.Status.value}{when}  "
        f"{summary.DurableExecutionArn}"
    )
