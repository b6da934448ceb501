"""The ``durable-lambda`` command group and its error handling.

Every failure ends as one line on stderr (``durable-lambda: error: ...``) and a non-zero exit
code, whatever the error (an exception group, or a ``BaseException`` the user's code raised);
``--verbose`` (or ``--debug``, or ``DURABLE_LAMBDA_DEBUG=1``) adds the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import click

from durable_lambda.app.cli.callback_commands import callback
from durable_lambda.app.cli.common import route_logs_to_stderr
from durable_lambda.app.cli.inspect_commands import history, list_executions, status
from durable_lambda.app.cli.lifecycle_commands import delete, prune, stop
from durable_lambda.app.cli.options import STORE_FACTORY_ENV, CommandError
from durable_lambda.app.cli.render import printable
from durable_lambda.app.cli.repair_commands import repair
from durable_lambda.app.cli.run_commands import replay, resume, run
from durable_lambda.app.lint.cli import lint
from durable_lambda.core.errors import DurableExecutionError

__all__ = ["cli", "run_cli"]

_PROG = "durable-lambda"
EXIT_INTERRUPTED = 130


def _version() -> str:
    try:
        return version("durable-lambda")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown"


@click.group(
    name=_PROG,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(_version(), prog_name=_PROG, message="%(prog)s %(version)s")
@click.option("--debug", "--verbose", "debug", is_flag=True, help="Show the traceback of an error.")
@click.option(
    "--store-factory",
    "store_factory",
    default=None,
    envvar=STORE_FACTORY_ENV,
    metavar="MODULE:CALLABLE",
    help="Keep executions in the ExecutionStore CALLABLE(store) returns, handed each command's "
    "--store value (file.py:callable or package.module:callable).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, store_factory: str | None) -> None:
    """Run, inspect, answer and replay AWS Lambda durable functions on this machine.

    Executions are kept as files under .durable/ in the working folder (--store or
    DURABLE_LAMBDA_STORE to change it), so they survive this process: answer a callback from
    another terminal, resume tomorrow, replay after a code change. With --store-factory (or
    DURABLE_LAMBDA_STORE_FACTORY) they are kept in a store of your own instead.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _command in (
    run,
    resume,
    replay,
    list_executions,
    status,
    history,
    callback,
    stop,
    delete,
    prune,
    repair,
    lint,
):
    cli.add_command(_command)


def _one_line(text: str) -> str:
    # Error messages carry user text (names, messages): no escape sequence reaches the terminal.
    return printable(" ".join(str(text).split())) or "unknown error"


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(f"{_PROG}: error: {_one_line(message)}", file=sys.stderr)
    return code


def run_cli(argv: Sequence[str]) -> int:
    """Run the command group on ``argv``; turn every failure into one line and an exit code.

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit code.
    """
    debug = any(flag in argv for flag in ("--debug", "--verbose")) or os.environ.get(
        "DURABLE_LAMBDA_DEBUG", ""
    ) not in ("", "0")
    route_logs_to_stderr()
    try:
        code = cli.main(args=list(argv), prog_name=_PROG, standalone_mode=False)
    except click.UsageError as error:
        path = error.ctx.command_path if error.ctx else _PROG
        return _fail(f"{error.format_message()} (see `{path} --help`)", error.exit_code, debug)
    except click.ClickException as error:
        return _fail(error.format_message(), error.exit_code, debug)
    except click.exceptions.Exit as error:
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        print(
            f"{_PROG}: interrupted; executions are saved: continue with `{_PROG} resume`",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except CommandError as error:
        return _fail(str(error), error.exit_code, debug)
    except DurableExecutionError as error:  # the message and where it happened, on one line
        return _fail(error.describe(), 1, debug)
    except SystemExit as error:  # the handler's own code called sys.exit(): the process stops
        print(
            f"{_PROG}: the code called sys.exit({error.code!r}); executions are saved: "
            f"continue with `{_PROG} resume`",
            file=sys.stderr,
        )
        return error.code if isinstance(error.code, int) else 1
    except BaseException as error:  # an Exception, or a group or BaseException of user code
        hint = "" if debug else " (run with --verbose for the traceback)"
        return _fail(f"{type(error).__name__}: {_described(error)}{hint}", 1, debug)
    return code if isinstance(code, int) else 0


def _described(error: BaseException) -> str:
    """Return an error's message; a group's lists its errors' messages on the same line."""
    if isinstance(error, BaseExceptionGroup):
        inner = "; ".join(f"{type(e).__name__}: {_described(e)}" for e in error.exceptions)
        return f"{error.message} ({inner})"
    return str(error)
