"""What every command shares: the store it works on, the consoles, running a coroutine.

A command's store is the file store at ``--store`` (``.durable`` by default), or, with the global
``--store-factory MODULE:CALLABLE`` (or ``$DURABLE_LAMBDA_STORE_FACTORY``), the
``ExecutionStore`` that ``CALLABLE(store)`` returns, handed the ``--store`` value. Either way the
store and the local service over it come from the composition root (``local_container``).
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
import structlog
from rich.console import Console

from durable_lambda.app.cli import store_lookup
from durable_lambda.app.cli.callback_handles import callback_handle
from durable_lambda.app.cli.options import STORE_ENV, CommandError
from durable_lambda.app.container import DEFAULT_FILE_ROOT, local_container
from durable_lambda.app.loading import load_target
from durable_lambda.app.ports import LocalService
from durable_lambda.core.errors import DurableExecutionError, ValidationError
from durable_lambda.service.ports import ExecutionStore

__all__ = [
    "OpenStore",
    "answer_hint",
    "at_executions_time",
    "err_console",
    "find_execution",
    "open_store",
    "out_console",
    "resume_hint",
    "route_logs_to_stderr",
    "run_async",
    "store_factory_spec",
    "store_label",
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
    """Add ``--store PATH`` (default ``.durable``, or ``$DURABLE_LAMBDA_STORE``) to a command."""
    option = click.option(
        "--store",
        "store",
        type=click.Path(path_type=Path),
        default=DEFAULT_FILE_ROOT,
        envvar=STORE_ENV,
        show_default=True,
        help="Where executions are kept: the file store's folder (or --store-factory's argument).",
    )
    return option(command)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a new event loop and return its result."""
    return asyncio.run(coroutine)


@dataclass(frozen=True)
class OpenStore:
    """The store a command works on and the local service over it, from the container.

    Attributes:
        store: The execution store.
        service: The local service over it, on the system clock.
        where: The ``--store`` value.
    """

    store: ExecutionStore
    service: LocalService
    where: Path


def open_store(where: Path) -> OpenStore:
    """Open the store a command works on (see the module docstring).

    Raises:
        CommandError: ``--store`` names a file for the file store, or the store factory cannot
            be loaded, fails, or returns something that is not an ``ExecutionStore``.
    """
    spec = store_factory_spec()
    if spec is None:
        if where.is_file():
            raise CommandError(
                f"--store {where} is a file; the file store keeps executions in a folder "
                "(--store-factory makes another kind of store)"
            )
        container = local_container(root=where)
    else:
        container = local_container(store=_made_store(spec, where))
    return OpenStore(container.execution_store(), container.local_service(), where)


class _AheadClock:
    """The wall clock, moved ahead by a fixed span (to where a ``--skip-time`` run left it)."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    async def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


async def at_executions_time(opened: OpenStore, arn: str) -> LocalService:
    """Return the local service on execution ``arn``'s own time, to change it from outside.

    That is the wall clock, unless a ``run --skip-time`` jumped the execution ahead of it: then
    the clock is moved to the execution's latest moment, so that what this command records
    (an answer, a heartbeat's new time-out, a stop) comes after what the run recorded, not days
    before it. An execution the store cannot read is left to the call that follows to report.
    """
    try:
        history = (await opened.service.get_record(arn)).history
    except DurableExecutionError:
        return opened.service
    # The newest event is the latest moment the execution has seen (an invocation's end
    # included); a loaded history is built already, so reading it costs nothing more.
    latest = history[-1].EventTimestamp if len(history) else None
    ahead = latest - datetime.now(UTC) if latest is not None else timedelta(0)
    if ahead <= timedelta(0):
        return opened.service
    service: LocalService = local_container(
        store=opened.store, clock=_AheadClock(ahead)
    ).local_service()
    return service


def store_factory_spec() -> str | None:
    """Return the ``--store-factory`` this command runs with (or its variable), if any."""
    context = click.get_current_context(silent=True)
    root = context.find_root() if context is not None else None
    spec = root.params.get("store_factory") if root is not None else None
    return spec if isinstance(spec, str) and spec else None


def store_label(where: Path) -> str:
    """Return the store a command works on as a message names it (``the store /abs/.durable``)."""
    spec = store_factory_spec()
    if spec is None:
        return f"the store {where.absolute()}"
    return f"the store --store-factory {spec} made of {where}"


def _made_store(spec: str, where: Path) -> ExecutionStore:
    try:
        factory = load_target(spec)
    except ValidationError as error:
        raise CommandError(f"--store-factory: {error}") from None
    if not callable(factory):
        raise CommandError(f"--store-factory {spec!r} is a {type(factory).__name__}, not callable")
    try:
        store = factory(where)
    except Exception as error:  # the application's code: say whose call failed, and how
        raise CommandError(
            f"--store-factory {spec!r} failed with {where}: {type(error).__name__}: {error}",
            exit_code=1,
        ) from error
    if not isinstance(store, ExecutionStore):
        raise CommandError(
            f"--store-factory {spec!r} returned a {type(store).__name__}, not an ExecutionStore "
            "(it needs async create, load, save and list_executions)"
        )
    return store


async def find_execution(opened: OpenStore, reference: str) -> str:
    """Return the ARN ``reference`` names (a full ARN, or a unique prefix of a name or id).

    A damaged execution never stops the lookup of another (see ``store_lookup``).

    Raises:
        CommandError: No execution or several match.
        CorruptExecutionError: Only a damaged execution matches.
    """
    return await store_lookup.find_execution(opened.store, reference, opened.where)


def _store_arguments(store: Path) -> tuple[str, str]:
    """Return what a printed command needs to reach this store: (before the verb, after it)."""
    default = Path(DEFAULT_FILE_ROOT).absolute()
    after = "" if store.absolute() == default else f" --store {shlex.quote(str(store))}"
    spec = store_factory_spec()
    context = click.get_current_context(silent=True)
    source = context.find_root().get_parameter_source("store_factory") if context else None
    # A factory set by the variable stays set in the shell; one typed must be typed again.
    typed = spec is not None and source is click.core.ParameterSource.COMMANDLINE
    before = f" --store-factory {shlex.quote(spec)}" if typed and spec else ""
    return before, after


def answer_hint(callback_id: str, store: Path) -> str:
    """Return the exact command that answers a callback, by its short handle.

    Short enough that no terminal wraps it, and quoted for the shell wherever it needs it, so
    that it runs as pasted (``callback_handles``).
    """
    before, after = _store_arguments(store)
    handle = callback_handle(callback_id)
    return f"durable-lambda{before} callback succeed {handle} --payload '{{}}'{after}"


def resume_hint(name: str, store: Path) -> str:
    """Return the exact command that continues an execution."""
    before, after = _store_arguments(store)
    return f"durable-lambda{before} resume {shlex.quote(name)}{after}"
