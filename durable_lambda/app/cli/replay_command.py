"""``replay``: check today's code against recorded executions (local, saved, or on AWS).

Exit codes: 0 when every execution replays as recorded, 1 when one differs, 2 when the check
could not run (a target that does not load, an execution not found, an unreadable file, an AWS
call that failed). The report goes to stdout (a diff, or ``--json``); each divergence is also one
line on stderr, ``durable-lambda: replay of NAME differs: ...``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from durable_lambda.app.cli.common import (
    err_console,
    open_store,
    run_async,
    store_factory_spec,
    store_option,
)
from durable_lambda.app.cli.options import CommandError, absolute_target
from durable_lambda.app.loading import load_handler
from durable_lambda.app.replayer import (
    AwsExecution,
    AwsExecutionReader,
    LocalExecution,
    Replayer,
    ReplayReport,
    ReplaySource,
    lambda_client,
)
from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.service.record import ExecutionStatus

__all__ = ["replay"]

EXIT_MATCH, EXIT_DIVERGED, EXIT_COULD_NOT_RUN = 0, 1, 2
# Names, errors and source lines come from user code and the record: a terminal must not act on
# control characters in them, so each is shown as its escape (newlines kept where asked).
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if code != 9}


def _printable(text: str, *, keep_newlines: bool = False) -> str:
    """Return ``text`` with every control character but tabs (and newlines) as its escape."""
    table = {
        code: escape for code, escape in _CONTROLS.items() if not (keep_newlines and code == 10)
    }
    return text.translate(table)


_STATUSES = [status.value for status in ExecutionStatus]
_DEFAULT_LIMIT = 20


@click.command()
@click.argument("target")
@click.argument("execution", required=False)
@store_option
@click.option(
    "--shallow",
    is_flag=True,
    help="Read completed map, parallel and child contexts' results; do not replay their children.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A saved execution: history --json output, or a GetDurableExecutionHistory or "
    "GetDurableExecutionState response.",
)
@click.option(
    "--from-aws",
    "from_aws",
    metavar="EXECUTION_ARN",
    help="Replay this execution, read from AWS (read-only).",
)
@click.option(
    "--from-aws-function",
    "from_aws_function",
    metavar="FUNCTION[:QUALIFIER]",
    help="Replay the executions of this function, listed from AWS (read-only).",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(_STATUSES),
    help="With --from-aws-function: which executions (repeatable; default RUNNING).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=_DEFAULT_LIMIT,
    show_default=True,
    help="With --from-aws-function: at most this many executions.",
)
@click.option("--region", default=None, help="The AWS region (else boto3's default).")
@click.option("--profile", default=None, help="The AWS profile (else boto3's default).")
@click.option(
    "--endpoint-url", "endpoint_url", default=None, help="Another Lambda endpoint (an emulator)."
)
def replay(
    target: str,
    execution: str | None,
    store: Path,
    shallow: bool,
    as_json: bool,
    from_file: Path | None,
    from_aws: str | None,
    from_aws_function: str | None,
    statuses: tuple[str, ...],
    limit: int,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> int:
    """Replay TARGET's code over recorded executions, executing nothing, and diff the paths.

    The execution is EXECUTION in the local store (an ARN, or a unique prefix of its name or
    id), a saved --from-file, or one on AWS: --from-aws ARN, or --from-aws-function to check
    every in-flight execution of a deployed function before you deploy new code. The children
    of completed map, parallel and child contexts are replayed too, unless --shallow.

    Exit 0 when the code takes the recorded path, 1 when it differs (the report shows where:
    the path, recorded against attempted, the source line), 2 when the check cannot run.
    """
    given = [
        option
        for option, value in (
            ("EXECUTION", execution),
            ("--from-file", from_file),
            ("--from-aws", from_aws),
            ("--from-aws-function", from_aws_function),
        )
        if value
    ]
    if len(given) != 1:
        raise CommandError(
            "give one execution to replay: EXECUTION (in the local store), --from-file, "
            "--from-aws or --from-aws-function" + (f" (got {', '.join(given)})" if given else "")
        )
    aws = from_aws or from_aws_function
    if not aws and (region or profile or endpoint_url):
        raise CommandError("--region, --profile and --endpoint-url go with --from-aws(-function)")
    if (statuses or limit != _DEFAULT_LIMIT) and not from_aws_function:
        raise CommandError("--status and --limit go with --from-aws-function")
    try:
        replayer = Replayer(load_handler(absolute_target(target)), shallow=shallow)
        if from_aws_function:
            client = lambda_client(region=region, profile=profile, endpoint_url=endpoint_url)
            listed = AwsExecutionReader(client).list(
                from_aws_function, statuses=statuses or ("RUNNING",), limit=limit
            )
            sources: list[ReplaySource] = [AwsExecution(item.arn, client=client) for item in listed]
            if not sources:
                wanted = "/".join(statuses or ("RUNNING",))
                err_console().print(
                    f"no {wanted} executions of {escape(_printable(from_aws_function))}"
                )
                if as_json:
                    click.echo("[]")
                return EXIT_MATCH
            return _replay_all(replayer, sources, as_json)
        source: ReplaySource
        if from_aws:
            source = AwsExecution(
                from_aws, region=region, profile=profile, endpoint_url=endpoint_url
            )
        elif from_file is not None:
            source = from_file
        else:
            assert execution is not None
            # A folder is read as the file store; a store of one's own is opened by its factory.
            local = open_store(store).store if store_factory_spec() else store
            source = LocalExecution(local, execution)
        report = run_async(replayer.replay(source))
    except (DurableExecutionError, OSError) as error:
        raise CommandError(f"replay could not run: {error}", exit_code=EXIT_COULD_NOT_RUN) from None
    _print(report, as_json)
    return EXIT_MATCH if report.ok else EXIT_DIVERGED


def _replay_all(replayer: Replayer, sources: list[ReplaySource], as_json: bool) -> int:
    """Replay each source in turn; one that cannot be read does not stop the others."""
    documents: list[dict[str, Any]] = []
    differ = failed = 0
    for source in sources:
        try:
            report = run_async(replayer.replay(source))
        except DurableExecutionError as error:
            where = str(getattr(source, "arn", source))
            line = _printable(f"replay of {where} could not run: {error}")
            print(f"durable-lambda: {line}", file=sys.stderr)
            documents.append({"ok": False, "executionArn": where, "error": str(error)})
            failed += 1
            continue
        differ += not report.ok
        if as_json:
            documents.append(report.to_dict())
            _complain(report)
        else:
            _print(report, as_json=False)
            click.echo()
    if as_json:
        click.echo(json.dumps(documents, indent=2))
    err_console().print(
        f"replayed {len(sources)} executions: {len(sources) - differ - failed} match, "
        f"{differ} differ, {failed} could not be read"
    )
    if failed:
        return EXIT_COULD_NOT_RUN
    return EXIT_DIVERGED if differ else EXIT_MATCH


def _print(report: ReplayReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        # Names, errors and source lines come from user code and the record: no control codes.
        click.echo(_printable(report.render(), keep_newlines=True))
    _complain(report)


def _complain(report: ReplayReport) -> None:
    if report.divergence is not None:
        line = _printable(" ".join(report.headline().split()))
        print(f"durable-lambda: {line}", file=sys.stderr)
