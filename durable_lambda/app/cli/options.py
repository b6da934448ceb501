"""Reading what the user typed: JSON values, ``NAME=VALUE`` pairs, targets, execution references.

Every problem is a ``CommandError`` whose message is one line that says what was wrong with
which argument, so the command line can print it as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_lambda.app.container import DEFAULT_FILE_ROOT
from durable_lambda.app.loading import load_target
from durable_lambda.service.record import ExecutionSummary

__all__ = [
    "STORE_ENV",
    "STORE_FACTORY_ENV",
    "CommandError",
    "absolute_target",
    "load_functions",
    "parse_duration",
    "parse_json",
    "parse_json_argument",
    "parse_pairs",
    "resolve_execution",
]

STORE_ENV = "DURABLE_LAMBDA_STORE"
"""The environment variable that sets ``--store`` (default ``.durable`` in the working folder)."""

STORE_FACTORY_ENV = "DURABLE_LAMBDA_STORE_FACTORY"
"""The environment variable that sets ``--store-factory`` (``MODULE:CALLABLE``)."""


class CommandError(Exception):
    """Something the user typed cannot be used; the message is one line that says why.

    Args:
        message: The problem, naming the argument and the value.
        exit_code: The exit code (2 for malformed arguments, 1 for a lookup that found nothing).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def parse_json(text: str, what: str) -> Any:
    """Parse ``text`` as JSON.

    Args:
        text: The JSON text.
        what: Which argument it came from, for the message.

    Raises:
        CommandError: It is not valid JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{what} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno}):"
            f" {_shorten(text)}"
        ) from None


def parse_json_argument(value: str, what: str) -> Any:
    """Parse a JSON argument: JSON text, or ``@path`` to read the JSON from a file.

    Raises:
        CommandError: The file cannot be read or its content is not JSON.
    """
    if not value.startswith("@"):
        return parse_json(value, what)
    path = Path(value[1:])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{what}: cannot read {path}: {error.strerror or error}") from None
    return parse_json(text, f"{what} (file {path})")


def parse_pairs(values: Iterable[str], what: str) -> list[tuple[str, str]]:
    """Split ``NAME=VALUE`` arguments.

    Raises:
        CommandError: A value has no ``=`` or an empty name.
    """
    pairs = []
    for value in values:
        name, separator, rest = value.partition("=")
        if not separator or not name.strip():
            raise CommandError(f"{what} must look like NAME=VALUE, got {_shorten(value)!r}")
        pairs.append((name.strip(), rest))
    return pairs


_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str, what: str) -> timedelta:
    """Parse a span of time: a number and a unit, or several (``7d``, ``12h``, ``1d12h``, ``90s``).

    The units are ``w`` (weeks), ``d`` (days), ``h`` (hours), ``m`` (minutes) and ``s``
    (seconds); ``0`` is no time at all.

    Raises:
        CommandError: ``text`` is not such a span.
    """
    compact = "".join(text.split()).lower()
    if compact == "0":
        return timedelta(0)
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise CommandError(
            f"{what} must be a span of time like 7d, 12h, 30m, 90s or 1d12h "
            f"(w, d, h, m, s), got {_shorten(text)!r}"
        )
    try:
        return timedelta(seconds=sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts))
    except OverflowError:
        too_long = f"{what} {_shorten(text)!r} is longer than any clock can count"
        raise CommandError(too_long) from None


def absolute_target(target: str) -> str:
    """Return ``target`` with a file path made absolute, so a later ``resume`` finds it anywhere.

    ``path/to/file.py:handler`` becomes ``/abs/path/to/file.py:handler``; a
    ``package.module:handler`` target is returned unchanged.

    Raises:
        CommandError: The target has no ``:handler`` part, or names a file that does not exist.
    """
    module, separator, attribute = target.rpartition(":")
    if not separator or not module or not attribute:
        raise CommandError(
            f"target {target!r} must look like path/to/file.py:handler or package.module:handler"
        )
    if not (module.endswith(".py") or "/" in module or "\\" in module):
        return target
    path = Path(module)
    if not path.is_file():
        raise CommandError(f"target {target!r}: no such file {path.absolute()}")
    return f"{path.resolve()}:{attribute}"


def load_functions(values: Sequence[str]) -> dict[str, Any]:
    """Load the ``--function NAME=TARGET`` functions that ``ctx.invoke`` may call.

    Raises:
        CommandError: A value is malformed.
        ValidationError: A target cannot be loaded.
    """
    return {
        name: load_target(absolute_target(target))
        for name, target in parse_pairs(values, "--function")
    }


def resolve_execution(reference: str, executions: Sequence[ExecutionSummary], store: Path) -> str:
    """Return the ARN of the one execution ``reference`` names.

    A reference is a full ARN, or a prefix of an execution's name or id (the ARN's last segment)
    that only one execution has.

    Raises:
        CommandError: No execution matches, or several do.
    """
    for summary in executions:
        if summary.DurableExecutionArn == reference:
            return reference
    matches = [
        summary.DurableExecutionArn
        for summary in executions
        if summary.DurableExecutionName.startswith(reference)
        or summary.DurableExecutionArn.rsplit("/", 1)[-1].startswith(reference)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        default = store.absolute() == Path(DEFAULT_FILE_ROOT).absolute()
        where = "" if default else f" in {store}"
        raise CommandError(
            f"no execution matches {reference!r}{where} (see `durable-lambda list`)", exit_code=1
        )
    raise CommandError(
        f"{reference!r} matches {len(matches)} executions; type more of its name or id",
        exit_code=1,
    )


def _shorten(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
