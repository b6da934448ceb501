"""What every command shares: the ``--store`` option, the consoles, running a coroutine."""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
import structlog
from rich.console import Console

from durable_lambda.adapters.clock.clocks import SystemClock
from durable_lambda.adapters.file.store import DEFAULT_ROOT, FileExecutionStore
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.app.cli import store_lookup
from durable_lambda.app.cli.options import STORE_ENV

__all__ = [
    "answer_hint",
    "err_console",
    "find_execution",
    "open_service",
    "out_console",
    "resume_hint",
    "route_logs_to_stderr",
    "run_async",
    "store_option",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_WIDTH_WHEN_PIPED = 160


def _console(stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        # Piped output is read by people in logs and by tests: do not wrap at 80 columns.
        console = Console(stderr=stderr, highlight=False, width=_WIDTH_WHEN_PIPED)
    return console


def route_logs_to_stderr() -> None:
    """Send the SDK's structlog events to stderr, unless the application configured structlog.

    Stdout carries a command's result (JSON a script may parse); log lines must not mix in.
    """
    if not structlog.is_configured():
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def out_console() -> Console:
    """Return a console on stdout (results)."""
    return _console(stderr=False)


def err_console() -> Console:
    """Return a console on stderr (progress, notes, hints)."""
    return _console(stderr=True)


def store_option(command: F) -> F:
    """Add ``--store DIR`` (default ``.durable``, or ``$DURABLE_LAMBDA_STORE``) to a command."""
    option = click.option(
        "--store",
        "store",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_ROOT,
        envvar=STORE_ENV,
        show_default=True,
        help="Where executions are kept.",
    )
    return option(command)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a new event loop and return its result."""
    return asyncio.run(coroutine)


def open_service(store: Path) -> tuple[FileExecutionStore, LocalDurableService]:
    """Return the file store at ``store`` and a local service over it on the system clock."""
    files = FileExecutionStore(store)
    return files, LocalDurableService(files, SystemClock())


async def find_execution(files: FileExecutionStore, reference: str) -> str:
    """Return the ARN ``reference`` names (a full ARN, or a unique prefix of a name or id).

    A damaged execution never stops the lookup of another (see ``store_lookup``).

    Raises:
        CommandError: No execution or several match.
        CorruptExecutionError: Only a damaged execution matches.
    """
    return await store_lookup.find_execution(files, reference)


def _store_argument(store: Path) -> str:
    default = Path(DEFAULT_ROOT).absolute()
    return "" if store.absolute() == default else f" --store {shlex.quote(str(store))}"


def answer_hint(callback_id: str, store: Path) -> str:
    """Return the exact command that answers a callback."""
    return (
        f"durable-lambda callback succeed {shlex.quote(callback_id)} --payload '{{}}'"
        f"{_store_argument(store)}"
    )


def resume_hint(name: str, store: Path) -> str:
    """Return the exact command that continues an execution."""
    return f"durable-lambda resume {shlex.quote(name)}{_store_argument(store)}"
