"""``aws_durable_execution_sdk_python.exceptions``: the error classes, under the official names.

They are durable-lambda's classes (``except StepError`` catches what durable-lambda raises), with
the official SDK's attributes (``message``, ``error_type``, ``data``, ``stack_trace``) and
``str(error)`` the message alone. ``DurableExecutionsError`` is durable-lambda's
``DurableExecutionError``.
"""

from __future__ import annotations

from durable_lambda.core.errors import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    CheckpointError,
    ChildContextError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    InvokeError,
    NonDeterministicExecutionError,
    SerDesError,
    StepError,
    StepInterruptedError,
    SuspendExecution,
    ValidationError,
    WaitForConditionError,
)
from durable_lambda.core.errors import DurableExecutionError as DurableExecutionsError
from durable_lambda.core.operations.callback import CallbackSubmitterError

__all__ = [
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "ChildContextError",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "NonDeterministicExecutionError",
    "SerDesError",
    "StepError",
    "StepInterruptedError",
    "SuspendExecution",
    "ValidationError",
    "WaitForConditionError",
]
