"""durable-lambda: an async Python SDK and local runtime for AWS Lambda durable functions.

Write an ordinary ``async def handler(event, ctx)``; every ``step``, ``wait`` and child context in
it is checkpointed, so the function survives crashes and redeploys, waits for days without paying
for compute, and on resume replays to exactly where it stopped.

Example:
    >>> from durable_lambda import DurableContext, Duration, durable_execution
    >>> @durable_execution
    ... async def handler(event: dict, ctx: DurableContext) -> dict:
    ...     order = await ctx.step(lambda s: {"id": event["orderId"]}, name="create-order")
    ...     await ctx.wait(Duration.from_hours(1), name="cool-off")
    ...     return order
"""

from durable_lambda.app.lambda_handler import DurableFunction, durable_execution
from durable_lambda.core.config import (
    CallbackConfig,
    CheckpointMode,
    ChildConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    ItemBatcher,
    MapConfig,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import (
    CallbackError,
    CallbackTimeoutError,
    CheckpointError,
    ChildContextError,
    DurableExecutionError,
    DurableOperationError,
    ExecutionError,
    InvalidCheckpointTokenError,
    InvocationError,
    InvokeError,
    NonDeterministicExecutionError,
    SerDesError,
    StepError,
    StepInterruptedError,
    ValidationError,
    WaitForConditionError,
)
from durable_lambda.core.model import ErrorObject, Operation, OperationStatus, OperationType
from durable_lambda.core.retry import (
    JitterStrategy,
    RetryDecision,
    RetryPresets,
    RetryStrategy,
    RetryStrategyConfig,
    create_retry_strategy,
)
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import (
    EnvelopeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
)

__all__ = [
    "CallbackConfig",
    "CallbackError",
    "CallbackTimeoutError",
    "CheckpointError",
    "CheckpointMode",
    "ChildConfig",
    "ChildContextError",
    "CompletionConfig",
    "DurableContext",
    "DurableExecutionError",
    "DurableFunction",
    "DurableOperationError",
    "Duration",
    "EnvelopeSerDes",
    "ErrorObject",
    "ExecutionError",
    "InvalidCheckpointTokenError",
    "InvocationError",
    "InvokeConfig",
    "InvokeError",
    "ItemBatcher",
    "JitterStrategy",
    "JsonSerDes",
    "MapConfig",
    "NonDeterministicExecutionError",
    "Operation",
    "OperationStatus",
    "OperationType",
    "ParallelConfig",
    "PassThroughSerDes",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategy",
    "RetryStrategyConfig",
    "RuntimeOptions",
    "SerDes",
    "SerDesContext",
    "SerDesError",
    "StepConfig",
    "StepContext",
    "StepError",
    "StepInterruptedError",
    "StepSemantics",
    "ValidationError",
    "WaitForCallbackConfig",
    "WaitForConditionConfig",
    "WaitForConditionError",
    "create_retry_strategy",
    "durable_execution",
]
