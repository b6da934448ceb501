"""A local service that knows which functions exist, as the Lambda service does.

A CHAINED_INVOKE START naming a function that does not exist comes back FAILED (on Lambda, with
``ResourceNotFoundException``) in the answer to the very checkpoint that sent it, so the handler
learns of it without suspending. Which names exist, and the error for one that does not, is the
host's to say (the functions given to ``DurableTestRunner(functions=...)`` or
``durable-lambda run --function``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda import service
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord

__all__ = ["LocalServiceWithFunctions"]


class LocalServiceWithFunctions(LocalDurableService):
    """A ``LocalDurableService`` that fails invokes of functions that do not exist at once.

    Args:
        invoke_refusal: Given a function name as ``ctx.invoke`` wrote it, the error an invoke of
            it fails with at once, or None when the function exists.
        *args, **kwargs: As for ``LocalDurableService``.
    """

    def __init__(
        self, *args: Any, invoke_refusal: Callable[[str], ErrorObject | None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.invoke_refusal = invoke_refusal

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Apply ``updates`` (see ``LocalDurableService.checkpoint``), then fail unknown targets."""
        response = await super().checkpoint(execution_arn, checkpoint_token, updates, client_token)
        refused = {
            update.Id: self.invoke_refusal(update.ChainedInvokeOptions.FunctionName)
            for update in updates
            if update.Type is OperationType.CHAINED_INVOKE
            and update.Action is OperationAction.START
            and update.ChainedInvokeOptions is not None
        }
        unknown = {op_id: error for op_id, error in refused.items() if error is not None}
        if not unknown:
            return response
        failed = {
            op_id: await self._fail_unknown(execution_arn, op_id, error)
            for op_id, error in unknown.items()
        }
        operations = tuple(failed.get(op.Id, op) for op in response.NewExecutionState.Operations)
        state = response.NewExecutionState.model_copy(update={"Operations": operations})
        return response.model_copy(update={"NewExecutionState": state})

    async def _fail_unknown(self, arn: str, operation_id: str, error: ErrorObject) -> Operation:
        now = self.clock.now()

        def fail(record: ExecutionRecord) -> Operation:
            operation = service.complete_chained_invoke(
                record, operation_id, OperationStatus.FAILED, now, error=error
            )
            # The handler sees the failure in this very response: nothing is left to deliver.
            record.undelivered.pop(operation_id, None)
            return operation

        return await self._change(arn, fail)
