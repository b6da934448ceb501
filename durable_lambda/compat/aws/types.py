"""``aws_durable_execution_sdk_python.types``: what user functions are given.

The official SDK hands a step ``StepContext(logger, attempt)``, a ``wait_for_callback``
submitter ``WaitForCallbackContext(logger)`` and a ``wait_for_condition`` check
``WaitForConditionCheckContext(logger, attempt)``. The classes here carry the same attributes
(the logger takes the standard library's call shape), plus the operation's id and name.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LambdaContext",
    "OperationContext",
    "StepContext",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
]

LambdaContext = Any
"""The Lambda runtime's context object (the official SDK types it as a protocol)."""


class OperationContext:
    """What every user function run by an operation is given.

    Attributes:
        logger: A logger bound to the operation, with the standard library's call shape.
    """

    __slots__ = ("logger",)

    def __init__(self, logger: Any) -> None:
        self.logger = logger


class StepContext(OperationContext):
    """What a step's function is given.

    Attributes:
        attempt: The 1-based number of this attempt.
        operation_id: The step's operation id.
        name: The step's name, if it has one.
    """

    __slots__ = ("attempt", "name", "operation_id")

    def __init__(
        self, logger: Any, attempt: int, operation_id: str = "", name: str | None = None
    ) -> None:
        super().__init__(logger)
        self.attempt = attempt
        self.operation_id = operation_id
        self.name = name


class WaitForCallbackContext(OperationContext):
    """What a ``wait_for_callback`` submitter is given.

    Attributes:
        attempt: The 1-based number of this attempt of the submitter.
    """

    __slots__ = ("attempt",)

    def __init__(self, logger: Any, attempt: int = 1) -> None:
        super().__init__(logger)
        self.attempt = attempt


class WaitForConditionCheckContext(StepContext):
    """What a ``wait_for_condition`` check is given (``attempt`` is the poll's number)."""

    __slots__ = ()
