"""A custom completion rule's vocabulary: what it is given about a batch, and what it decides.

``CompletionConfig(should_complete=...)`` takes a ``CompletionRule``;
``durable_lambda.core.completion`` (which re-exports these names) tells when it is asked and how
its decision is recorded. These
are values only: ``config.py`` names the rule's type without importing them (only the type
checker reads it there). ``BatchItemStatus`` is defined in ``batch_status`` and re-exported here
and by ``completion``: a map without a rule loads that module but not this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from durable_lambda.core.batch_status import BatchItemStatus
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import ErrorObject

__all__ = [
    "BatchItemStatus",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionRule",
    "CompletionStatus",
    "complete_batch",
    "continue_batch",
]


class CompletionOutcome(StrEnum):
    """Whether a batch a custom completion rule completes counts as a success or a failure."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class CompletionDecision:
    """What a custom completion rule decided: go on, or complete now with an outcome.

    Make one with ``continue_batch()`` or ``complete_batch(outcome)``.

    Attributes:
        complete: Whether the batch completes now.
        outcome: Its outcome when it completes; None when it goes on.

    Raises:
        ValidationError: ``complete`` without an outcome, or an outcome without ``complete``.
    """

    complete: bool
    outcome: CompletionOutcome | None = None

    def __post_init__(self) -> None:
        if self.complete and self.outcome is None:
            raise ValidationError(
                "CompletionDecision.outcome: required when complete is True", field="outcome"
            )
        if not self.complete and self.outcome is not None:
            raise ValidationError(
                "CompletionDecision.outcome: must be None when complete is False",
                field="outcome",
            )


_CONTINUE = CompletionDecision(complete=False)


def continue_batch() -> CompletionDecision:
    """Decide that the batch goes on (it still completes once every branch finished)."""
    return _CONTINUE


def complete_batch(outcome: CompletionOutcome = CompletionOutcome.SUCCEEDED) -> CompletionDecision:
    """Decide that the batch completes now, as ``outcome`` (a success by default).

    Branches still running are cancelled and reported ``STARTED``; branches not started are
    left out, as when ``min_successful`` is reached.
    """
    return CompletionDecision(complete=True, outcome=CompletionOutcome(outcome))


@dataclass(frozen=True, slots=True)
class CompletionItemStatus:
    """One branch as a custom completion rule sees it.

    Attributes:
        index: The branch's 0-based position (stable across replays).
        name: The name its context is recorded under.
        status: ``SUCCEEDED`` or ``FAILED`` once finished, ``STARTED`` while running or
            suspended, None while not started (``max_concurrency`` holds it back).
        result: What it returned, as replay reads it back, once it succeeded; None otherwise.
        error: What it failed with, once it failed; None otherwise.
    """

    index: int
    name: str | None = None
    status: BatchItemStatus | None = None
    result: Any = None
    error: ErrorObject | None = None


@dataclass(frozen=True, slots=True)
class CompletionStatus:
    """The progress of a batch, given to a custom completion rule.

    Attributes:
        success_count: Branches that succeeded.
        failure_count: Branches that failed.
        completed_count: ``success_count + failure_count``.
        total_count: Branches in the batch.
        items: One ``CompletionItemStatus`` per branch, ``items[i]`` being branch ``i``
            whatever order they finished in.
    """

    success_count: int
    failure_count: int
    completed_count: int
    total_count: int
    items: tuple[CompletionItemStatus, ...] = ()

    def results(self) -> list[Any]:
        """Return the results of the branches that succeeded so far, in index order."""
        return [item.result for item in self.items if item.status == "SUCCEEDED"]


CompletionRule = Callable[[CompletionStatus], CompletionDecision]
"""A custom completion rule: ``(status) -> continue_batch() | complete_batch(outcome)``."""
