"""``aws_durable_execution_sdk_python.config``: the configuration classes, under their names.

They are durable-lambda's validated models, which take the official SDK's fields positionally
in its order and by keyword. ``Duration`` here truncates fractions as the official one does
(``Duration.from_seconds(1.5)`` is 1 s); durable-lambda's own ``Duration`` refuses them. The
custom completion rule (``CompletionConfig(should_complete=...)``, ``CompletionDecision``,
``CompletionStatus``, ``complete_batch``, ``continue_batch``) is durable-lambda's own, with the
official names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from durable_lambda.core.completion_rule import (
    BatchItemStatus,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from durable_lambda.core.config import (
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    InvokeConfig,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.context import ParallelBranch
from durable_lambda.core.delays import JitterStrategy
from durable_lambda.core.duration import Duration as _Duration

__all__ = [
    "BatchItemStatus",
    "CallbackConfig",
    "ChildConfig",
    "CompletionConfig",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "Duration",
    "InvokeConfig",
    "JitterStrategy",
    "MapConfig",
    "NestingType",
    "ParallelBranch",
    "ParallelConfig",
    "StepConfig",
    "StepSemantics",
    "WaitForCallbackConfig",
    "WaitForConditionConfig",
    "complete_batch",
    "continue_batch",
]


class Duration(_Duration):
    """A span of whole seconds whose factories truncate fractions, as the official SDK's do.

    Example:
        >>> Duration.from_seconds(1.5).seconds, Duration.from_minutes(0.01).seconds
        (1, 0)
    """

    if TYPE_CHECKING:

        def __init__(self, seconds: float = 0) -> None: ...

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        """Return ``value`` seconds, truncated to whole seconds."""
        return cls(int(value))

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        """Return ``value`` minutes, truncated to whole seconds."""
        return cls(int(value * 60))

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        """Return ``value`` hours, truncated to whole seconds."""
        return cls(int(value * 3_600))

    @classmethod
    def from_days(cls, value: float) -> Duration:
        """Return ``value`` days, truncated to whole seconds."""
        return cls(int(value * 86_400))
