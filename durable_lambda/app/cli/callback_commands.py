"""``callback succeed|fail|heartbeat``: answering a callback as an outside system would."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from durable_lambda.app.cli.common import (
    err_console,
    open_store,
    resume_hint,
    run_async,
    store_option,
)
from durable_lambda.app.cli.options import parse_json_argument
from durable_lambda.app.cli.progress import callback_label
from durable_lambda.app.cli.render import printable
from durable_lambda.app.ports import LocalService
from durable_lambda.core.model import ErrorObject, Operation
from durable_lambda.service.callbacks import execution_arn_from_callback_id

__all__ = ["callback"]


@click.group()
def callback() -> None:
    """Answer a callback a running execution waits for (as the outside system would)."""


def _done(service: LocalService, callback_id: str, operation: Operation, store: Path) -> int:
    async def execution_name() -> str:
        record = await service.get_record(execution_arn_from_callback_id(callback_id))
        return record.name

    execution = run_async(execution_name())
    name = callback_label(operation.Name)
    label = f"callback {name!r}" if name else "the callback"
    err_console().print(
        f"{escape(printable(label))} of {escape(printable(execution))} is "
        f"{operation.Status.value}. A running `durable-lambda run` picks it up; otherwise "
        f"continue with:\n  {escape(printable(resume_hint(execution, store)))}",
        soft_wrap=True,
    )
    return 0


@callback.command()
@click.argument("callback_id")
@click.option("--payload", default="null", metavar="JSON|@FILE", help="The result to send.")
@store_option
def succeed(callback_id: str, payload: str, store: Path) -> int:
    """Complete CALLBACK_ID successfully with --payload."""
    value = parse_json_argument(payload, "--payload")
    service = open_store(store).service
    operation = run_async(service.send_callback_success(callback_id, json.dumps(value)))
    return _done(service, callback_id, operation, store)


@callback.command()
@click.argument("callback_id")
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
    """Fail CALLBACK_ID with an error."""
    error = ErrorObject(ErrorType=error_type, ErrorMessage=error_message, ErrorData=error_data)
    service = open_store(store).service
    operation = run_async(service.send_callback_failure(callback_id, error))
    return _done(service, callback_id, operation, store)


@callback.command()
@click.argument("callback_id")
@store_option
def heartbeat(callback_id: str, store: Path) -> int:
    """Tell CALLBACK_ID's execution that the answer is still being worked on."""
    service = open_store(store).service
    run_async(service.send_callback_heartbeat(callback_id))
    err_console().print("heartbeat sent")
    return 0
