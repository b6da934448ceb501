"""``callback succeed|fail|heartbeat``: answering a callback as an outside system would.

Each takes the callback's id, or the short handle ``run`` and ``status`` print for it (see
``callback_handles``). A callback the store does not have is reported with the store that was
looked in, and looking creates nothing there.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import click
from rich.markup import escape

from durable_lambda.app.cli.callback_handles import resolve_callback
from durable_lambda.app.cli.common import (
    at_executions_time,
    err_console,
    open_store,
    resume_hint,
    run_async,
    store_label,
    store_option,
)
from durable_lambda.app.cli.drivers import driver_of
from durable_lambda.app.cli.options import CommandError, parse_json_argument
from durable_lambda.app.cli.progress import callback_label
from durable_lambda.app.cli.render import printable
from durable_lambda.app.ports import LocalService
from durable_lambda.core.model import ErrorObject, Operation
from durable_lambda.service.callbacks import (
    CallbackClosedError,
    UnknownCallbackError,
    execution_arn_from_callback_id,
)

__all__ = ["callback"]

_ID = "CALLBACK"


@click.group()
def callback() -> None:
    """Answer a callback a running execution waits for (as the outside system would).

    CALLBACK is the callback's id, or the short handle `run` and `status` print for it (a
    unique prefix of it is enough).
    """


def _answer(
    store: Path, reference: str, send: Callable[[LocalService, str], Awaitable[Operation]]
) -> tuple[Operation, str]:
    """Find the callback ``reference`` names and send it ``send``.

    Returns:
        The callback as it is now, and what happens next (who picks the answer up).

    Raises:
        CommandError: No callback of the store has that id or handle (the message names the
            store).
    """
    opened = open_store(store)
    where = store_label(store)

    async def go() -> tuple[Operation, str]:
        callback_id = await resolve_callback(opened.store, opened.service, reference, where)
        service = opened.service
        with contextlib.suppress(UnknownCallbackError):  # a junk id: the send says so below
            service = await at_executions_time(opened, execution_arn_from_callback_id(callback_id))
        try:
            operation = await send(service, callback_id)
        except CallbackClosedError:
            raise
        except UnknownCallbackError as error:
            arn = error.execution_arn
            known = f" (its execution, {arn}, is not there)" if arn else ""
            raise CommandError(
                f"no callback has this id in {where}{known}: answer it where its execution "
                "runs, or name that store with --store",
                exit_code=1,
            ) from None
        record = await opened.service.get_record(execution_arn_from_callback_id(callback_id))
        ended = record.status.is_terminal
        driver = None if ended else await driver_of(opened.store, record.arn)
        if driver is not None:
            follow = f"{driver.describe()}, which drives {record.name}, picks it up."
        else:
            follow = f"Continue {record.name} with: {resume_hint(record.name, store)}"
        return operation, follow

    return run_async(go())


def _done(operation: Operation, follow: str) -> int:
    name = callback_label(operation.Name)
    label = f"callback {name!r}" if name else "the callback"
    err_console().print(
        f"{escape(printable(label))} is {operation.Status.value}. {escape(printable(follow))}",
        soft_wrap=True,
    )
    return 0


@callback.command()
@click.argument("callback_id", metavar=_ID)
@click.option("--payload", default="null", metavar="JSON|@FILE", help="The result to send.")
@store_option
def succeed(callback_id: str, payload: str, store: Path) -> int:
    """Complete CALLBACK successfully with --payload."""
    text = json.dumps(parse_json_argument(payload, "--payload"))
    operation, follow = _answer(
        store, callback_id, lambda service, found: service.send_callback_success(found, text)
    )
    return _done(operation, follow)


@callback.command()
@click.argument("callback_id", metavar=_ID)
@click.option("--error-type", default=None, metavar="T", help="The error's type.")
@click.option("--error-message", default=None, metavar="M", help="The error's message.")
@click.option("--error-data", default=None, metavar="TEXT", help="Data to attach to the error.")
@store_option
def fail(
    callback_id: str,
    error_type: str | None,
    error_message: str | None,
    error_data: str | None,
    store: Path,
) -> int:
    """Fail CALLBACK with an error."""
    error = ErrorObject(ErrorType=error_type, ErrorMessage=error_message, ErrorData=error_data)
    operation, follow = _answer(
        store, callback_id, lambda service, found: service.send_callback_failure(found, error)
    )
    return _done(operation, follow)


@callback.command()
@click.argument("callback_id", metavar=_ID)
@store_option
def heartbeat(callback_id: str, store: Path) -> int:
    """Tell CALLBACK's execution that the answer is still being worked on."""
    _answer(store, callback_id, lambda service, found: service.send_callback_heartbeat(found))
    err_console().print("heartbeat sent")
    return 0
