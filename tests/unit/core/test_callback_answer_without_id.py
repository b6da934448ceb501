"""A callback the SDK just started, whose START answer lacks the CallbackId: a retry, not FAILED.

The service assigns the id as it creates the callback, so an acknowledged START whose answer
does not carry it is a garbled or partial answer. Before, ``create_callback`` raised an
``ExecutionError`` and the execution ended FAILED although its callback existed. Now the
invocation raises a retriable ``CheckpointError`` (Lambda invokes again) and the next
invocation reads the id from the execution's state.

The service is the local one (the real implementation of the port), wrapped so that its
checkpoint answers lose every callback's details, as a partial answer would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    InvocationInput,
    InvocationOutput,
    InvocationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import DurableService
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"


class AnswersWithoutCallbackIds:
    """The local service, except that its checkpoint answers drop every callback's details."""

    def __init__(self, inner: LocalDurableService) -> None:
        self.inner = inner

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        answer = await self.inner.checkpoint(execution_arn, checkpoint_token, updates, client_token)
        operations = [
            operation.model_copy(update={"CallbackDetails": None})
            if operation.Type is OperationType.CALLBACK
            else operation
            for operation in answer.NewExecutionState.Operations
        ]
        state = ExecutionState(
            Operations=operations, NextMarker=answer.NewExecutionState.NextMarker
        )
        return answer.model_copy(update={"NewExecutionState": state})

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)


async def invoke(
    handler: Any, invocation: InvocationInput, service: DurableService
) -> InvocationOutput:
    return await run_invocation(
        handler,
        invocation,
        service=service,
        serdes=JsonSerDes(),
        clock=FakeClock(),
        random=random.Random(0),
        logger=NullLogger(),
        options=RuntimeOptions(),
    )


async def test_a_start_answered_without_the_callback_id_is_retried_and_then_found() -> None:
    ids: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        ids.append(callback.callback_id)
        return await callback.result()

    local = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    arn = await local.start_execution("orders", "{}")

    with pytest.raises(CheckpointError) as caught:
        await invoke(handler, await local.invocation_input(arn), AnswersWithoutCallbackIds(local))

    error = caught.value
    assert error.retriable is True, "the execution must not end FAILED: its callback exists"
    assert "CallbackId" in str(error)
    assert error.operation_name == "approval"
    assert ids == []

    # Lambda invokes again: the state holds the callback, with the id the service gave it.
    output = await invoke(handler, await local.invocation_input(arn), local)

    assert output.Status is InvocationStatus.PENDING
    (callback_id,) = ids
    assert callback_id
    callbacks = [
        operation
        for operation in (await local.get_record(arn)).operations.values()
        if operation.Type is OperationType.CALLBACK
    ]
    assert len(callbacks) == 1, "the callback was started once"
    assert callbacks[0].CallbackDetails is not None
    assert callbacks[0].CallbackDetails.CallbackId == callback_id


async def test_a_callback_recorded_without_an_id_still_fails_the_execution() -> None:
    # Replay finds the callback in the state without an id: no retry can give it one.
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return (await ctx.create_callback("approval")).callback_id

    invocation = parse_invocation_input(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "InitialExecutionState": {
                "Operations": [
                    {
                        "Id": "exec",
                        "Type": "EXECUTION",
                        "Status": "STARTED",
                        "StartTimestamp": 1_767_225_600_000,
                    },
                    {
                        "Id": operation_id(None, 1),
                        "Type": "CALLBACK",
                        "SubType": "Callback",
                        "Name": "approval",
                        "Status": "STARTED",
                        "StartTimestamp": 1_767_225_600_000,
                    },
                ]
            },
        }
    )

    output = await invoke(
        handler, invocation, LocalDurableService(InMemoryExecutionStore(), FakeClock())
    )

    assert output.Status is InvocationStatus.FAILED
    assert output.Error is not None
    assert "holds no CallbackId" in (output.Error.ErrorMessage or "")
