"""When a map or parallel is complete, and why: the completion policy, as pure arithmetic.

A batch of ``total`` branches completes when every branch finished, when ``min_successful``
branches succeeded, or when failures exceed what ``CompletionConfig`` tolerates. With no criterion
configured at all, the first failure exceeds the tolerance (fail fast), as in the official AWS SDK.
The rules and the reason reported for each outcome follow the official Python SDK 3.0.0:

* ``tolerated_failure_count``: more failures than this exceed the tolerance;
* ``tolerated_failure_percentage``: failures above this share of ``total`` exceed it (a share
  exactly equal is still tolerated);
* ``min_successful`` alone tolerates any number of failures: the batch runs on until it has
  enough successes or every branch finished.

A custom completion rule (``CompletionConfig(should_complete=...)``, the official SDK's
predicate; its vocabulary is ``durable_lambda.core.completion_rule``, re-exported here) takes
the place of the thresholds: it is given a ``CompletionStatus`` (the counts, and
each branch's status, name, result and error) and returns ``continue_batch()`` or
``complete_batch(outcome)``. It is asked before any branch starts and after every branch that
finishes, in the order the batch takes their outcomes; the batch also completes when every branch
finished, whatever it says. Its decision is recorded as the batch's completion reason
(``CUSTOM_COMPLETION_SUCCEEDED`` or ``CUSTOM_COMPLETION_FAILED``): replaying a completed batch
returns the stored result without asking it again, and a batch resumed mid-run asks it again over
the branches replayed so far, which is why it must be deterministic and monotonic (once some
progress completes the batch, more progress must too).

A map or parallel without a rule never loads the rule's vocabulary: ``completion_rule`` (its
dataclasses cost about 1.5 ms to define) is imported when a rule is asked, or when one of its
names is read from here. ``BatchItemStatus`` lives in ``batch_status``, which both import.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from durable_lambda.core.batch_status import BatchItemStatus
from durable_lambda.core.config import CompletionConfig
from durable_lambda.core.errors import ValidationError

if TYPE_CHECKING:
    from durable_lambda.core.completion_rule import (
        CompletionDecision,
        CompletionItemStatus,
        CompletionOutcome,
        CompletionRule,
        CompletionStatus,
        complete_batch,
        continue_batch,
    )

__all__ = [
    "BatchItemStatus",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionPolicy",
    "CompletionReason",
    "CompletionStatus",
    "complete_batch",
    "continue_batch",
]


# The rule's vocabulary, re-exported from ``completion_rule`` on first access (module docstring).
_RULE_NAMES = frozenset(
    {
        "CompletionDecision",
        "CompletionItemStatus",
        "CompletionOutcome",
        "CompletionStatus",
        "complete_batch",
        "continue_batch",
    }
)


def __getattr__(name: str) -> object:
    """Read a name of the rule's vocabulary from ``completion_rule``, importing it once."""
    if name not in _RULE_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("durable_lambda.core.completion_rule"), name)
    globals()[name] = value
    return value


class CompletionReason(StrEnum):
    """Why a map or parallel stopped (the values are the official SDKs' own)."""

    ALL_COMPLETED = "ALL_COMPLETED"
    """Every started branch finished (successes and tolerated failures)."""
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    """``min_successful`` branches succeeded; branches not finished yet were abandoned."""
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"
    """More branches failed than tolerated; branches not finished yet were abandoned."""
    CUSTOM_COMPLETION_SUCCEEDED = "CUSTOM_COMPLETION_SUCCEEDED"
    """The custom completion rule completed the batch as a success."""
    CUSTOM_COMPLETION_FAILED = "CUSTOM_COMPLETION_FAILED"
    """The custom completion rule completed the batch as a failure (``BatchCompletionError``)."""


class CompletionPolicy(NamedTuple):
    """The completion criteria of one batch of ``total`` branches.

    A named tuple (immutable, compared by value) rather than a frozen dataclass, which takes
    about ten times as long to define on the first map of a process.

    Attributes:
        total: How many branches the batch has.
        min_successful: Successes that complete the batch early, if any.
        tolerated_failure_count: Failures tolerated, if limited by count.
        tolerated_failure_percentage: Failures tolerated as a percentage of ``total``.
        should_complete: A custom completion rule; when set, the thresholds are not used.
        names: Each branch's recorded name, shown to the rule (``CompletionItemStatus.name``).

    Example:
        >>> policy = CompletionPolicy.from_config(4, CompletionConfig(min_successful=2))
        >>> policy.is_complete(succeeded=2, failed=1), policy.reason(succeeded=2, failed=1)
        (True, <CompletionReason.MIN_SUCCESSFUL_REACHED: 'MIN_SUCCESSFUL_REACHED'>)
    """

    total: int
    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None
    should_complete: CompletionRule | None = None
    names: Sequence[str | None] = ()

    @classmethod
    def from_config(
        cls,
        total: int,
        config: CompletionConfig | None,
        names: Sequence[str | None] = (),
    ) -> CompletionPolicy:
        """Return the policy ``config`` sets for ``total`` branches (None: fail fast)."""
        if config is None:
            return cls(total, names=names)
        return cls(
            total,
            min_successful=config.min_successful,
            tolerated_failure_count=config.tolerated_failure_count,
            tolerated_failure_percentage=config.tolerated_failure_percentage,
            should_complete=config.should_complete,
            names=names,
        )

    def name_of(self, index: int) -> str | None:
        """Return branch ``index``'s recorded name, if the policy was told it."""
        names = self.names
        return names[index] if index < len(names) else None

    @property
    def has_criteria(self) -> bool:
        """Whether any threshold is configured (without one, the first failure ends the batch)."""
        return (
            self.min_successful is not None
            or self.tolerated_failure_count is not None
            or self.tolerated_failure_percentage is not None
        )

    def decide(
        self, succeeded: int, failed: int, items: Sequence[CompletionItemStatus] = ()
    ) -> CompletionDecision | None:
        """Ask the custom completion rule about this progress; None when there is no rule.

        Raises:
            ValidationError: the rule returned something else than a ``CompletionDecision``.
            Exception: what the rule raised.
        """
        rule = self.should_complete
        if rule is None:
            return None
        from durable_lambda.core.completion_rule import CompletionDecision, CompletionStatus

        status = CompletionStatus(
            success_count=succeeded,
            failure_count=failed,
            completed_count=succeeded + failed,
            total_count=self.total,
            items=tuple(items),
        )
        decision = rule(status)
        if not isinstance(decision, CompletionDecision):
            raise ValidationError(
                "CompletionConfig.should_complete must return continue_batch() or "
                f"complete_batch(...), got {type(decision).__name__} ({decision!r:.60})",
                field="should_complete",
            )
        return decision

    def tolerance_exceeded(self, failed: int) -> bool:
        """Whether ``failed`` failures are more than the batch tolerates (never, with a rule)."""
        if self.should_complete is not None:
            return False
        if not self.has_criteria:
            return failed > 0
        if self.tolerated_failure_count is not None and failed > self.tolerated_failure_count:
            return True
        if self.tolerated_failure_percentage is not None and self.total > 0:
            return failed * 100 / self.total > self.tolerated_failure_percentage
        return False

    def is_complete(
        self, succeeded: int, failed: int, decision: CompletionDecision | None = None
    ) -> bool:
        """Whether the batch is done: every branch finished, enough succeeded, or the rule said so.

        ``decision`` is what ``decide`` returned for these counts. Exceeded tolerance also ends
        a batch; ask ``tolerance_exceeded`` for that.
        """
        if succeeded + failed >= self.total:
            return True
        if decision is not None and decision.complete:
            return True
        return self.min_successful is not None and succeeded >= self.min_successful

    def should_stop(
        self, succeeded: int, failed: int, decision: CompletionDecision | None = None
    ) -> bool:
        """Whether no further branch should start: the batch is complete or has failed."""
        return self.is_complete(succeeded, failed, decision) or self.tolerance_exceeded(failed)

    def reason(
        self,
        succeeded: int,
        failed: int,
        decision: CompletionDecision | None = None,
        items: Sequence[CompletionItemStatus] | None = None,
    ) -> CompletionReason:
        """Return why a batch that stopped with these counts stopped.

        ``decision`` is the rule's last decision; when it is None and ``items`` are given, the
        rule is asked about them (a stored result without its reason).
        """
        if self.tolerance_exceeded(failed):
            return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
        if decision is None and items is not None:
            decision = self.decide(succeeded, failed, items)
        if decision is not None and decision.complete:
            from durable_lambda.core.completion_rule import CompletionOutcome

            if decision.outcome is CompletionOutcome.FAILED:
                return CompletionReason.CUSTOM_COMPLETION_FAILED
            return CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
        if succeeded + failed >= self.total:
            return CompletionReason.ALL_COMPLETED
        if self.min_successful is not None and succeeded >= self.min_successful:
            return CompletionReason.MIN_SUCCESSFUL_REACHED
        return CompletionReason.ALL_COMPLETED
