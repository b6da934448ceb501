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
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from durable_lambda.core.config import CompletionConfig

__all__ = ["CompletionPolicy", "CompletionReason"]


class CompletionReason(StrEnum):
    """Why a map or parallel stopped (the values are the official SDKs' own)."""

    ALL_COMPLETED = "ALL_COMPLETED"
    """Every started branch finished (successes and tolerated failures)."""
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    """``min_successful`` branches succeeded; branches not finished yet were abandoned."""
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"
    """More branches failed than tolerated; branches not finished yet were abandoned."""
    CUSTOM_COMPLETION_SUCCEEDED = "CUSTOM_COMPLETION_SUCCEEDED"
    """Written only by the official SDK's ``should_complete`` predicate; read for compatibility."""
    CUSTOM_COMPLETION_FAILED = "CUSTOM_COMPLETION_FAILED"
    """Written only by the official SDK's ``should_complete`` predicate; read for compatibility."""


@dataclass(frozen=True, slots=True)
class CompletionPolicy:
    """The completion criteria of one batch of ``total`` branches.

    Attributes:
        total: How many branches the batch has.
        min_successful: Successes that complete the batch early, if any.
        tolerated_failure_count: Failures tolerated, if limited by count.
        tolerated_failure_percentage: Failures tolerated as a percentage of ``total``.

    Example:
        >>> policy = CompletionPolicy.from_config(4, CompletionConfig(min_successful=2))
        >>> policy.is_complete(succeeded=2, failed=1), policy.reason(succeeded=2, failed=1)
        (True, <CompletionReason.MIN_SUCCESSFUL_REACHED: 'MIN_SUCCESSFUL_REACHED'>)
    """

    total: int
    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None

    @classmethod
    def from_config(cls, total: int, config: CompletionConfig | None) -> CompletionPolicy:
        """Return the policy ``config`` sets for ``total`` branches (None: fail fast)."""
        if config is None:
            return cls(total)
        return cls(
            total,
            min_successful=config.min_successful,
            tolerated_failure_count=config.tolerated_failure_count,
            tolerated_failure_percentage=config.tolerated_failure_percentage,
        )

    @property
    def has_criteria(self) -> bool:
        """Whether any criterion is configured (without one, the first failure ends the batch)."""
        return (
            self.min_successful is not None
            or self.tolerated_failure_count is not None
            or self.tolerated_failure_percentage is not None
        )

    def tolerance_exceeded(self, failed: int) -> bool:
        """Whether ``failed`` failures are more than the batch tolerates."""
        if not self.has_criteria:
            return failed > 0
        if self.tolerated_failure_count is not None and failed > self.tolerated_failure_count:
            return True
        if self.tolerated_failure_percentage is not None and self.total > 0:
            return failed * 100 / self.total > self.tolerated_failure_percentage
        return False

    def is_complete(self, succeeded: int, failed: int) -> bool:
        """Whether the batch is done: every branch finished, or enough succeeded.

        Exceeded tolerance also ends a batch; ask ``tolerance_exceeded`` for that.
        """
        if succeeded + failed >= self.total:
            return True
        return self.min_successful is not None and succeeded >= self.min_successful

    def should_stop(self, succeeded: int, failed: int) -> bool:
        """Whether no further branch should start: the batch is complete or has failed."""
        return self.is_complete(succeeded, failed) or self.tolerance_exceeded(failed)

    def reason(self, succeeded: int, failed: int) -> CompletionReason:
        """Return why a batch that stopped with these counts stopped."""
        if self.tolerance_exceeded(failed):
            return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
        if succeeded + failed >= self.total:
            return CompletionReason.ALL_COMPLETED
        if self.min_successful is not None and succeeded >= self.min_successful:
            return CompletionReason.MIN_SUCCESSFUL_REACHED
        return CompletionReason.ALL_COMPLETED
