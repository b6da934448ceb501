"""Checks of the arguments the methods of ``DurableContext`` are given, before any id is taken."""

from __future__ import annotations

from typing import TypeVar

from durable_lambda.core.errors import ValidationError

__all__ = ["argument", "check_callable", "refuse_name"]

F = TypeVar("F")


def argument(operation: str, official: str, given: F | None, ours: str, alias: F | None) -> F:
    """Return the argument given under the official SDK's name or under ours (exactly one).

    Raises:
        ValidationError: both names were given, or neither.
    """
    if given is None:
        if alias is None:
            raise ValidationError(f"{operation}() needs {official!r}", field=official)
        return alias
    if alias is not None:
        raise ValidationError(
            f"{operation}() got {official!r} and {ours!r}, which name the same argument; give one",
            field=official,
        )
    return given


def check_callable(operation: str, argument: str, value: object) -> None:
    """Refuse, before any operation id is taken, a function argument that is not callable.

    Raises:
        ValidationError: ``value`` is not callable.
    """
    if not callable(value):
        raise ValidationError(
            f"{operation}() needs a callable {argument}, got {type(value).__name__} "
            f"({value!r:.60})",
            field=argument,
        )


def refuse_name(name: object, execution_arn: str) -> None:
    """Refuse an operation name that is not a string (a str subclass is accepted).

    Raises:
        ValidationError: ``name`` is not a str.
    """
    if isinstance(name, str):
        return
    raise ValidationError(
        f"an operation name must be a str or None, got {type(name).__name__} ({name!r:.60})",
        field="name",
        execution_arn=execution_arn,
    )
