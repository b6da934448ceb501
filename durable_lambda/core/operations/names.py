"""Operation names: which names the service accepts, and which name an operation records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from durable_lambda.core.errors import ValidationError

__all__ = ["MAX_NAME_LENGTH", "check_operation_name", "recorded_name"]

MAX_NAME_LENGTH = 256
"""The longest operation name the service accepts."""


def check_operation_name(name: str | None, execution_arn: str) -> None:
    """Refuse a name the service would refuse (checked here so a local run fails as AWS would).

    Args:
        name: The operation's name; None (no name) is always accepted.
        execution_arn: The execution, for the error.

    Raises:
        ValidationError: ``name`` is not 1 to 256 printable ASCII characters.
    """
    if name is not None and not (
        len(name) <= MAX_NAME_LENGTH and name.isascii() and name.isprintable() and name
    ):
        raise ValidationError(
            f"operation name {name[:80]!r} must be 1 to {MAX_NAME_LENGTH} printable ASCII "
            "characters",
            field="name",
            execution_arn=execution_arn,
        )


def recorded_name(fn: Callable[..., Any], name: str | None) -> str | None:
    """Return the name recorded for an operation that runs ``fn``: ``name``, or a decorator's.

    As in the official SDK, only an explicit name or one set by a decorator (``_original_name``)
    is recorded: a function's ``__name__`` is not, so histories written by either SDK carry the
    same names.
    """
    return name or getattr(fn, "_original_name", None)
