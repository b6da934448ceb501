"""``aws_durable_execution_sdk_python.concurrency.models``: ``BatchResult`` and its items."""

from __future__ import annotations

from durable_lambda.core.completion import CompletionReason
from durable_lambda.core.operations.batch_result import (
    BatchCompletionError,
    BatchItem,
    BatchItemError,
    BatchItemStatus,
    BatchResult,
)

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchItemError",
    "BatchItemStatus",
    "BatchResult",
    "CompletionReason",
]
