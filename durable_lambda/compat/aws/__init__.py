"""The official AWS SDK's API (``aws_durable_execution_sdk_python`` 3.0.0), run by durable-lambda.

A handler written for the official SDK runs here with only its imports changed::

    from durable_lambda.compat.aws import DurableContext, StepContext, durable_execution
    from durable_lambda.compat.aws.config import Duration, StepConfig

The modules mirror the official ones (``config``, ``context``, ``exceptions``, ``execution``,
``retries``, ``serdes``, ``types``, ``waits``, ``concurrency.models``) and the classes keep their
names. ``DurableContext`` is synchronous, as the official one is: each call blocks until the
operation's result is there, and runs durable-lambda's operation of the same name, so the
operation ids, types, subtypes and names, and the payload bytes (written with
``EnvelopeSerDes``), are the official SDK's. An execution can therefore move between the two
SDKs in either direction.

What this layer does not cover, and the one-line change each needs, is listed in
``docs/migration.md``: the official SDK's instrumentation plugin factories, its testing package
(``DurableFunctionTestRunner``, ``DurableChildContextTestRunner``), and reaching into its
internals (``context.state`` is durable-lambda's own context here).

One name is durable-lambda's own: ``non_blocking`` marks a step function (or a
``wait_for_callback`` submitter, a ``wait_for_condition`` check) that does not block, so that it
runs inline on the event loop, as the official SDK runs its step functions, instead of in a
worker thread (see ``durable_lambda.non_blocking``).
"""

from __future__ import annotations

from durable_lambda.compat.aws.concurrency.models import BatchCompletionError, BatchResult
from durable_lambda.compat.aws.config import (
    BatchItemStatus,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    ParallelBranch,
    complete_batch,
    continue_batch,
)
from durable_lambda.compat.aws.context import (
    DurableContext,
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from durable_lambda.compat.aws.exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    ChildContextError,
    DurableExecutionsError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    InvokeError,
    SerDesError,
    StepError,
    ValidationError,
    WaitForConditionError,
)
from durable_lambda.compat.aws.execution import durable_execution
from durable_lambda.compat.aws.retries import WithRetryConfig, with_retry
from durable_lambda.compat.aws.types import StepContext
from durable_lambda.core.non_blocking import non_blocking

__all__ = [
    "BatchCompletionError",
    "BatchItemStatus",
    "BatchResult",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "ChildContextError",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "DurableContext",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "ParallelBranch",
    "SerDesError",
    "StepContext",
    "StepError",
    "ValidationError",
    "WaitForConditionError",
    "WithRetryConfig",
    "complete_batch",
    "continue_batch",
    "durable_execution",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
    "non_blocking",
    "with_retry",
]
