"""The invocation's state is input the SDK does not trust: one record per id, one EXECUTION.

Before, ``DurableState`` kept the last record of an id listed twice and the first of two
EXECUTION operations, silently; either can replay an execution on records that are not its own.
Both are now a ``ValidationError`` naming what is wrong, raised before the handler runs. The
pages come from a fake of the ``DurableService`` port.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ExecutionError, ValidationError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    InvocationInput,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.core.state import DurableState, load_state

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"
T0 = 1_767_225_600_000


def execution_op(operation_id: str = "exec", payload: str = "{}") -> dict[str, Any]:
    return {
        "Id": operation_id,
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": T0,
        "ExecutionDetails": {"InputPayload": payload},
    }


def step_op(operation_id: str, result: str = '"ok"') -> dict[str, Any]:
    return {
        "Id": operation_id,
        "Type": "STEP",
        "SubType": "Step",
        "Name": "charge",
        "Status": "SUCCEEDED",
        "StartTimestamp": T0,
        "StepDetails": {"Result": result},
    }


class PagedService:
    """The ``DurableService`` port over fixed pages by marker; checkpoints are not expected."""

    def __init__(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        self.pages = pages

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        raise AssertionError("nothing may be checkpointed from a state that was refused")

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return ExecutionState.model_validate({"Operations": self.pages[marker]})


def invocation(operations: list[dict[str, Any]], next_marker: str = "") -> InvocationInput:
    return parse_invocation_input(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "InitialExecutionState": {"Operations": operations, "NextMarker": next_marker},
        }
    )


async def test_an_id_listed_twice_in_the_initial_state_is_refused() -> None:
    event = invocation([execution_op(), step_op("s-1", '"first"'), step_op("s-1", '"second"')])

    with pytest.raises(ValidationError) as caught:
        await load_state(event, PagedService({}))

    error = caught.value
    assert "'s-1'" in str(error)
    assert "more than once" in str(error)
    assert error.field == "Operations"
    assert error.operation_id == "s-1"
    assert error.execution_arn == ARN


async def test_an_id_repeated_on_a_later_page_is_refused() -> None:
    event = invocation([execution_op(), step_op("s-1")], next_marker="m-1")
    service = PagedService({"m-1": [step_op("s-2"), step_op("s-1", '"again"')]})

    with pytest.raises(ValidationError, match="'s-1'"):
        await load_state(event, service)


async def test_the_execution_operation_repeated_on_a_later_page_is_refused() -> None:
    event = invocation([execution_op()], next_marker="m-1")
    service = PagedService({"m-1": [execution_op(payload='{"other": 1}')]})

    with pytest.raises(ValidationError, match="'exec'"):
        await load_state(event, service)


async def test_two_execution_operations_are_refused() -> None:
    event = invocation([execution_op("exec-a"), step_op("s-1"), execution_op("exec-b")])

    with pytest.raises(ValidationError) as caught:
        await load_state(event, PagedService({}))

    assert "2 EXECUTION operations" in str(caught.value)
    assert "'exec-a'" in str(caught.value)
    assert "'exec-b'" in str(caught.value)
    assert caught.value.field == "Operations"


def test_models_are_checked_as_dicts_are() -> None:
    # The state also holds Operation models (built ones, or given by a caller).
    def model(operation_id: str, type: OperationType) -> Operation:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        return Operation(
            Id=operation_id, Type=type, Status=OperationStatus.STARTED, StartTimestamp=start
        )

    execution = model("exec", OperationType.EXECUTION)
    with pytest.raises(ValidationError, match="'w-1'"):
        DurableState(
            ARN, [execution, model("w-1", OperationType.WAIT), model("w-1", OperationType.WAIT)]
        )
    with pytest.raises(ValidationError, match="2 EXECUTION"):
        DurableState(ARN, [execution, model("exec-2", OperationType.EXECUTION)])


def test_no_execution_operation_is_still_an_execution_error() -> None:
    with pytest.raises(ExecutionError, match="no EXECUTION operation"):
        DurableState(ARN, invocation([step_op("s-1")]).InitialExecutionState.Operations)


def test_a_valid_state_keeps_every_operation_in_order() -> None:
    operations = [execution_op(), *(step_op(f"s-{i}", str(i)) for i in range(2000))]

    state = DurableState(ARN, invocation(operations).InitialExecutionState.Operations)

    assert len(state) == 2001
    assert state.execution.Id == "exec"
    assert [op.Id for op in state.operations()][:3] == ["exec", "s-0", "s-1"]
    step = state.get("s-1999")
    assert step is not None
    assert step.result_payload == "1999"


async def test_an_invocation_with_duplicate_ids_never_runs_the_handler() -> None:
    ran: list[object] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        ran.append(event)
        return await ctx.step(lambda _: "charged", name="charge")

    event = invocation([execution_op(), step_op("s-1"), step_op("s-1", '"forged"')])

    with pytest.raises(ValidationError):
        await run_invocation(
            handler,
            event,
            service=PagedService({}),
            serdes=JsonSerDes(),
            clock=FakeClock(),
            random=random.Random(0),
            logger=NullLogger(),
            options=RuntimeOptions(),
        )
    assert ran == []
