"""``BatchItemStatus``: how one branch of a map or parallel ended.

A module of its own so that both the completion policy (``completion``) and a custom rule's
vocabulary (``completion_rule``) can name it without importing each other: ``completion`` reads
``CompletionConfig`` from ``config``, which re-exports ``batch_config``, which names the rule's
type, so the rule's vocabulary importing ``completion`` would close a cycle.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BatchItemStatus"]


class BatchItemStatus(StrEnum):
    """How one branch of a map or parallel ended (what a completion rule and a result report)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STARTED = "STARTED"
    """Started but not finished when the batch completed (it was abandoned)."""
