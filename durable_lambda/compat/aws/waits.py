"""``aws_durable_execution_sdk_python.waits``: the polling strategies of ``wait_for_condition``."""

from __future__ import annotations

from durable_lambda.core.config import WaitForConditionConfig
from durable_lambda.core.delays import JitterStrategy
from durable_lambda.core.polling import (
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)

__all__ = [
    "JitterStrategy",
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitStrategyConfig",
    "create_wait_strategy",
]
