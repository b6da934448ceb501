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

# The public names are loaded on first access (PEP 562), not with the package: a Lambda function
# only needs the entry point and the operations it calls, and importing every operation module,
# the combinators and the batch machinery up front is paid by every cold start.
from __future__ import annotations

import gc
import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from durable_lambda.adapters.offload import (
        BlobNotFoundError,
        BlobStore,
        BlobStoreError,
        BlobStoreUnavailableError,
        FileBlobStore,
        OffloadedPayloadCorruptError,
        OffloadedPayloadMissingError,
        OffloadError,
        OffloadReference,
        OffloadSerDes,
        OffloadUnavailableError,
        S3BlobStore,
    )
    from durable_lambda.app.lambda_handler import DurableFunction, durable_execution
    from durable_lambda.core.attempt_errors import StepDeadlineError, StepTimeoutError
    from durable_lambda.core.completion import (
        CompletionDecision,
        CompletionItemStatus,
        CompletionOutcome,
        CompletionReason,
        CompletionStatus,
        complete_batch,
        continue_batch,
    )
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
    from durable_lambda.core.context import (
        DurableContext,
        ParallelBranch,
        StepContext,
        WaitForConditionCheckContext,
    )
    from durable_lambda.core.errors import (
        AbandonedOperationError,
        BaseExceptionRaisedError,
        CallbackError,
        CallbackExternalError,
        CallbackTimeoutError,
        CheckpointError,
        ChildContextError,
        DurableExecutionError,
        DurableOperationError,
        ExecutionError,
        InvalidCheckpointTokenError,
        InvocationError,
        InvokeError,
        NestingTooDeepError,
        NonDeterministicExecutionError,
        OrphanedOperationError,
        SerDesError,
        SerDesUnavailableError,
        StepError,
        StepInterruptedError,
        ValidationError,
        WaitForConditionError,
    )
    from durable_lambda.core.lambda_context import LambdaContext
    from durable_lambda.core.model import ErrorObject, Operation, OperationStatus, OperationType
    from durable_lambda.core.non_blocking import non_blocking
    from durable_lambda.core.operations.batch_result import (
        BatchCompletionError,
        BatchItem,
        BatchItemError,
        BatchItemStatus,
        BatchResult,
    )
    from durable_lambda.core.operations.callback import (
        Callback,
        CallbackSubmitterError,
        PlainJsonSerDes,
        WaitForCallbackContext,
    )
    from durable_lambda.core.operations.combinators import AllFailedError, SettledResult
    from durable_lambda.core.operations.item_groups import BatchedInput
    from durable_lambda.core.operations.replay_safe import OperationMetadata
    from durable_lambda.core.operations.saga import Saga, SagaError
    from durable_lambda.core.operations.wait import WaitHandle
    from durable_lambda.core.plugins import BasePlugin
    from durable_lambda.core.ports import (
        AttemptInfo,
        AttemptOutcome,
        InstrumentationPlugin,
        InvocationEndInfo,
        InvocationEndStatus,
        InvocationStartInfo,
        OperationInfo,
        SerDes,
        SerDesContext,
    )
    from durable_lambda.core.retry import (
        JitterStrategy,
        LinearRetryStrategyConfig,
        RetryDecision,
        RetryPresets,
        RetryStrategy,
        RetryStrategyConfig,
        WaitForConditionDecision,
        WaitPresets,
        WaitStrategy,
        WaitStrategyConfig,
        apply_jitter,
        create_linear_retry_strategy,
        create_retry_strategy,
        create_wait_strategy,
    )
    from durable_lambda.core.runtime import RuntimeOptions
    from durable_lambda.core.serdes import EnvelopeSerDes, JsonSerDes, PassThroughSerDes

# Which module defines each public name; a unit test checks it against ``__all__``.
_EXPORTS: dict[str, tuple[str, ...]] = {
    # Offloading imports boto3 on its first upload or download, never with these names.
    "durable_lambda.adapters.offload": (
        "BlobNotFoundError",
        "BlobStore",
        "BlobStoreError",
        "BlobStoreUnavailableError",
        "FileBlobStore",
        "OffloadError",
        "OffloadReference",
        "OffloadSerDes",
        "OffloadUnavailableError",
        "OffloadedPayloadCorruptError",
        "OffloadedPayloadMissingError",
        "S3BlobStore",
    ),
    "durable_lambda.app.lambda_handler": (
        "DurableFunction",
        "durable_execution",
    ),
    "durable_lambda.core.attempt_errors": ("StepDeadlineError", "StepTimeoutError"),
    "durable_lambda.core.completion": (
        "CompletionDecision",
        "CompletionItemStatus",
        "CompletionOutcome",
        "CompletionReason",
        "CompletionStatus",
        "complete_batch",
        "continue_batch",
    ),
    "durable_lambda.core.config": (
        "CallbackConfig",
        "CheckpointMode",
        "ChildConfig",
        "CompletionConfig",
        "Duration",
        "InvokeConfig",
        "ItemBatcher",
        "MapConfig",
        "NestingType",
        "ParallelConfig",
        "StepConfig",
        "StepSemantics",
        "WaitForCallbackConfig",
        "WaitForConditionConfig",
    ),
    "durable_lambda.core.context": (
        "DurableContext",
        "ParallelBranch",
        "StepContext",
        "WaitForConditionCheckContext",
    ),
    "durable_lambda.core.errors": (
        "AbandonedOperationError",
        "BaseExceptionRaisedError",
        "CallbackError",
        "CallbackExternalError",
        "CallbackTimeoutError",
        "CheckpointError",
        "ChildContextError",
        "DurableExecutionError",
        "DurableOperationError",
        "ExecutionError",
        "InvalidCheckpointTokenError",
        "InvocationError",
        "InvokeError",
        "NestingTooDeepError",
        "NonDeterministicExecutionError",
        "OrphanedOperationError",
        "SerDesError",
        "SerDesUnavailableError",
        "StepError",
        "StepInterruptedError",
        "ValidationError",
        "WaitForConditionError",
    ),
    "durable_lambda.core.lambda_context": ("LambdaContext",),
    "durable_lambda.core.model": (
        "ErrorObject",
        "Operation",
        "OperationStatus",
        "OperationType",
    ),
    "durable_lambda.core.non_blocking": ("non_blocking",),
    "durable_lambda.core.operations.batch_result": (
        "BatchCompletionError",
        "BatchItem",
        "BatchItemError",
        "BatchItemStatus",
        "BatchResult",
    ),
    "durable_lambda.core.operations.callback": (
        "Callback",
        "CallbackSubmitterError",
        "PlainJsonSerDes",
        "WaitForCallbackContext",
    ),
    "durable_lambda.core.operations.combinators": (
        "AllFailedError",
        "SettledResult",
    ),
    "durable_lambda.core.operations.replay_safe": ("OperationMetadata",),
    "durable_lambda.core.operations.saga": ("Saga", "SagaError"),
    "durable_lambda.core.operations.wait": ("WaitHandle",),
    "durable_lambda.core.operations.item_groups": ("BatchedInput",),
    "durable_lambda.core.plugins": ("BasePlugin",),
    "durable_lambda.core.ports": (
        "AttemptInfo",
        "AttemptOutcome",
        "InstrumentationPlugin",
        "InvocationEndInfo",
        "InvocationEndStatus",
        "InvocationStartInfo",
        "OperationInfo",
        "SerDes",
        "SerDesContext",
    ),
    "durable_lambda.core.retry": (
        "JitterStrategy",
        "LinearRetryStrategyConfig",
        "RetryDecision",
        "RetryPresets",
        "RetryStrategy",
        "RetryStrategyConfig",
        "WaitForConditionDecision",
        "WaitPresets",
        "WaitStrategy",
        "WaitStrategyConfig",
        "apply_jitter",
        "create_linear_retry_strategy",
        "create_retry_strategy",
        "create_wait_strategy",
    ),
    "durable_lambda.core.runtime": ("RuntimeOptions",),
    "durable_lambda.core.serdes": ("EnvelopeSerDes", "JsonSerDes", "PassThroughSerDes"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "AbandonedOperationError",
    "AllFailedError",
    "AttemptInfo",
    "AttemptOutcome",
    "BaseExceptionRaisedError",
    "BasePlugin",
    "BatchCompletionError",
    "BatchItem",
    "BatchItemError",
    "BatchItemStatus",
    "BatchResult",
    "BatchedInput",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreError",
    "BlobStoreUnavailableError",
    "Callback",
    "CallbackConfig",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "CheckpointMode",
    "ChildConfig",
    "ChildContextError",
    "CompletionConfig",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionReason",
    "CompletionStatus",
    "DurableContext",
    "DurableExecutionError",
    "DurableFunction",
    "DurableOperationError",
    "Duration",
    "EnvelopeSerDes",
    "ErrorObject",
    "ExecutionError",
    "FileBlobStore",
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
    "LambdaContext",
    "LinearRetryStrategyConfig",
    "MapConfig",
    "NestingTooDeepError",
    "NestingType",
    "NonDeterministicExecutionError",
    "OffloadError",
    "OffloadReference",
    "OffloadSerDes",
    "OffloadUnavailableError",
    "OffloadedPayloadCorruptError",
    "OffloadedPayloadMissingError",
    "Operation",
    "OperationInfo",
    "OperationMetadata",
    "OperationStatus",
    "OperationType",
    "OrphanedOperationError",
    "ParallelBranch",
    "ParallelConfig",
    "PassThroughSerDes",
    "PlainJsonSerDes",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategy",
    "RetryStrategyConfig",
    "RuntimeOptions",
    "S3BlobStore",
    "Saga",
    "SagaError",
    "SerDes",
    "SerDesContext",
    "SerDesError",
    "SerDesUnavailableError",
    "SettledResult",
    "StepConfig",
    "StepContext",
    "StepDeadlineError",
    "StepError",
    "StepInterruptedError",
    "StepSemantics",
    "StepTimeoutError",
    "ValidationError",
    "WaitForCallbackConfig",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitForConditionError",
    "WaitHandle",
    "WaitPresets",
    "WaitStrategy",
    "WaitStrategyConfig",
    "apply_jitter",
    "complete_batch",
    "continue_batch",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "create_wait_strategy",
    "durable_execution",
    "non_blocking",
]


def _pause_the_collector() -> bool:
    """On Lambda, turn the garbage collector off for an import of the SDK; say if it was on.

    The SDK's import makes tens of thousands of long-lived objects (classes, validators,
    module state) and almost no garbage (some hundreds of objects in cycles), yet the
    collector's passes walk them again and again while the import grows them (some 20 ms of a
    cold start, ``docs/performance.md``). The entry point freezes what its import left alive
    (``gc.freeze()``, see ``durable_lambda.app.lambda_handler``), so those objects are never
    walked afterwards either; ``DURABLE_LAMBDA_GC_FREEZE=0`` turns both off. Elsewhere the
    collector is left be.
    """
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    if os.environ.get("DURABLE_LAMBDA_GC_FREEZE", "1") == "0" or not gc.isenabled():
        return False
    gc.disable()
    return True


def __getattr__(name: str) -> object:
    """Import the module that defines public ``name`` and cache the value on this package."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    paused = _pause_the_collector()
    try:
        value = getattr(importlib.import_module(module), name)
    finally:
        if paused:
            gc.enable()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names too, loaded or not."""
    return sorted({*globals(), *__all__})
