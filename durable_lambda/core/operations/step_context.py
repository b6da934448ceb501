"""What user functions run by an operation are given: ``StepContext`` and its kin."""

from __future__ import annotations

from durable_lambda.core.ports import Logger

__all__ = ["StepContext", "WaitForConditionCheckContext"]


class StepContext:
    """What a step's function is given: which attempt this is, and a logger bound to the step.

    A ``wait_for_callback`` submitter's step gets one too.

    Attributes:
        operation_id: The step's deterministic operation id.
        name: The step's name, if it has one.
        attempt: The 1-based number of this attempt.
        logger: A logger bound with the execution, the step and the attempt.
    """

    __slots__ = ("attempt", "logger", "name", "operation_id")

    def __init__(self, operation_id: str, name: str | None, attempt: int, logger: Logger) -> None:
        self.operation_id = operation_id
        self.name = name
        self.attempt = attempt
        self.logger = logger


class WaitForConditionCheckContext(StepContext):
    """What a ``wait_for_condition`` check is given, under the official SDK's name.

    ``attempt`` is the 1-based number of the poll. It is a ``StepContext`` (checks written
    against that name keep working) with the official SDK's class name.
    """

    __slots__ = ()
