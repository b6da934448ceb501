"""The Lambda durable execution service, played locally: a bounded context of its own, pure.

Everything the real service does with an execution is here, written once, as functions of an
``ExecutionRecord`` (``record``) and the time: start it, apply a checkpoint's updates
(validating them as the service does, rotating the checkpoint token), fire timers as time
passes, take callback answers and chained-invoke outcomes, record history, end the execution.
No I/O, no clock and no randomness: ``now`` is always passed in. The SDK core never imports this
package (an import-linter contract holds it), and this package leans on the core's wire model
and errors only. The local service adapter (``durable_lambda.adapters.local``) loads a record
from an ``ExecutionStore`` (``ports``), calls these functions and saves it.

Modules: ``lifecycle`` (start, invocations, stop, description), ``checkpoint`` (a checkpoint,
all or nothing) over ``operations`` (one module per operation type: its rules and what its
updates do), ``timers``, ``callbacks``, ``invokes``, ``state`` (what the handler reads),
``history`` and ``event_log``, and the building blocks ``recording``, ``tokens``, ``arns``,
``rollback``, ``model_changes``.

Example:
    >>> from datetime import UTC, datetime
    >>> from durable_lambda.core.model import OperationUpdate
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> record = start_execution("arn:...:durable-execution/run/1", "fn", "{}", now)
    >>> response = apply_checkpoint(
    ...     record,
    ...     record.checkpoint_token,
    ...     [OperationUpdate(Id="w", Type="WAIT", Action="START", WaitOptions={"WaitSeconds": 5})],
    ...     now,
    ... )
    >>> next_due(record).isoformat()
    '2026-01-01T00:00:05+00:00'
"""

from __future__ import annotations

from durable_lambda.service.arns import execution_arn
from durable_lambda.service.callbacks import (
    CallbackClosedError,
    UnknownCallbackError,
    execution_arn_from_callback_id,
    send_callback_failure,
    send_callback_heartbeat,
    send_callback_success,
)
from durable_lambda.service.checkpoint import apply_checkpoint
from durable_lambda.service.invokes import (
    attach_chained_invoke_execution,
    complete_chained_invoke,
    pending_chained_invokes,
)
from durable_lambda.service.lifecycle import (
    ExecutionDescription,
    describe_execution,
    has_pending_work,
    needs_invocation,
    record_invocation,
    start_execution,
    stop_execution,
)
from durable_lambda.service.ports import (
    ExecutionAlreadyExistsError,
    ExecutionLockedError,
    ExecutionNotFoundError,
    ExecutionStore,
    IncrementalExecutionStore,
    LendingExecutionStore,
    LockingExecutionStore,
    RepairableExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus, ExecutionSummary
from durable_lambda.service.state import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    invocation_input,
    replayable_operations,
    state_page,
)
from durable_lambda.service.timers import (
    CALLBACK_HEARTBEAT_ERROR_TYPE,
    CALLBACK_TIMEOUT_ERROR_TYPE,
    advance,
    next_due,
    pending_timers,
)
from durable_lambda.service.tokens import checkpoint_token_for

__all__ = [
    "CALLBACK_HEARTBEAT_ERROR_TYPE",
    "CALLBACK_TIMEOUT_ERROR_TYPE",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CallbackClosedError",
    "ExecutionAlreadyExistsError",
    "ExecutionDescription",
    "ExecutionLockedError",
    "ExecutionNotFoundError",
    "ExecutionRecord",
    "ExecutionStatus",
    "ExecutionStore",
    "ExecutionSummary",
    "IncrementalExecutionStore",
    "LendingExecutionStore",
    "LockingExecutionStore",
    "RepairableExecutionStore",
    "UnknownCallbackError",
    "advance",
    "apply_checkpoint",
    "attach_chained_invoke_execution",
    "checkpoint_token_for",
    "complete_chained_invoke",
    "describe_execution",
    "execution_arn",
    "execution_arn_from_callback_id",
    "has_pending_work",
    "invocation_input",
    "needs_invocation",
    "next_due",
    "pending_chained_invokes",
    "pending_timers",
    "record_invocation",
    "replayable_operations",
    "send_callback_failure",
    "send_callback_heartbeat",
    "send_callback_success",
    "start_execution",
    "state_page",
    "stop_execution",
]
