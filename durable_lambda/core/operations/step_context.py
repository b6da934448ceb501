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

    __slots__ = ("_stop_requested", "attempt", "logger", "name", "operation_id")

    def __init__(self, operation_id: str, name: str | None, attempt: int, logger: Logger) -> None:
        self.operation_id = operation_id
        self.name = name
        self.attempt = attempt
        self.logger = logger
        self._stop_requested = False

    @property
    def stop_requested(self) -> bool:
        """Whether the SDK gave up on this attempt (its time-out, or the invocation's deadline).

        A plain-function body runs in a worker thread that cannot be interrupted: once this is
        True its result is dropped and the attempt is already recorded as failed, so a long
        body should check it between units of work and return early. Safe to read from any
        thread.
        """
        return self._stop_requested

    def request_stop(self) -> None:
        """Mark this attempt as given up on (the SDK calls it; see ``stop_requested``)."""
        self._stop_requested = True


class WaitForConditionCheckContext(StepContext):
    """What a ``wait_for_condition`` check is given, under the official SDK's name.

    ``attempt`` is the 1-based number of the poll. It is a ``StepContext`` (checks written
    against that name keep working) with the official SDK's class name.
    """

    __slots__ = ()
