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
from durable_lambda.core.completion import CompletionReason
from durable_lambda.core.config import (
    CallbackConfig,
    CheckpointMode,
    ChildConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    ItemBatcher,
    MapConfig,
    NestingType,
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
from durable_lambda.core.operations.batch import ParallelBranch
from durable_lambda.core.operations.batch_result import BatchItem, BatchItemStatus, BatchResult
from durable_lambda.core.operations.callback import (
    Callback,
    CallbackSubmitterError,
    WaitForCallbackContext,
)
from durable_lambda.core.operations.combinators import AllFailedError, SettledResult
from durable_lambda.core.operations.helpers import OperationMetadata
from durable_lambda.core.operations.item_batching import BatchedInput
from durable_lambda.core.plugins import (
    AttemptInfo,
    AttemptOutcome,
    BasePlugin,
    InstrumentationPlugin,
    InvocationEndInfo,
    InvocationEndStatus,
    InvocationStartInfo,
    OperationInfo,
)
from durable_lambda.core.retry import (
    JitterStrategy,
    RetryDecision,
    RetryPresets,
    RetryStrategy,
    RetryStrategyConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_retry_strategy,
    create_wait_strategy,
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
    "AllFailedError",
    "AttemptInfo",
    "AttemptOutcome",
    "BasePlugin",
    "BatchItem",
    "BatchItemStatus",
    "BatchResult",
    "BatchedInput",
    "Callback",
    "CallbackConfig",
    "CallbackError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "CheckpointMode",
    "ChildConfig",
    "ChildContextError",
    "CompletionConfig",
    "CompletionReason",
    "DurableContext",
    "DurableExecutionError",
    "DurableFunction",
    "DurableOperationError",
    "Duration",
    "EnvelopeSerDes",
    "ErrorObject",
    "ExecutionError",
    "InstrumentationPlugin",
    "InvalidCheckpointTokenError",
    "InvocationEndInfo",
    "InvocationEndStatus",
    "InvocationError",
    "InvocationStartInfo",
    "InvokeConfig",
    "InvokeError",
    "ItemBatcher",
    "JitterStrategy",
    "JsonSerDes",
    "MapConfig",
    "NestingType",
    "NonDeterministicExecutionError",
    "Operation",
    "OperationInfo",
    "OperationMetadata",
    "OperationStatus",
    "OperationType",
    "ParallelBranch",
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
    "SettledResult",
    "StepConfig",
    "StepContext",
    "StepError",
    "StepInterruptedError",
    "StepSemantics",
    "ValidationError",
    "WaitForCallbackConfig",
    "WaitForCallbackContext",
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitForConditionError",
    "WaitStrategyConfig",
    "create_retry_strategy",
    "create_wait_strategy",
    "durable_execution",
]
