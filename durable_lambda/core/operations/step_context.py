"""``StepContext``: what a step's function is given (the submitter and polled checks get it too)."""

from __future__ import annotations

from durable_lambda.core.ports import Logger

__all__ = ["StepContext"]


class StepContext:
    """What a step's function is given: which attempt this is, and a logger bound to the step.

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
