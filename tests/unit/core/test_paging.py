"""Following state pages: every page in order, and a clear retriable error instead of for ever.

A fake of the ``DurableService`` port serves pages by marker. It refuses to serve more than
``READ_LIMIT`` pages, so that a loop the SDK fails to stop ends the test with an assertion
instead of hanging it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    InvocationInput,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.paging import MAX_PAGES, PagingError, follow_pages
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.core.state import load_state

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/abc"
READ_LIMIT = 50
EXECUTION_OP: dict[str, Any] = {
    "Id": "exec",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": 1_767_225_600_000,
    "ExecutionDetails": {"InputPayload": "{}"},
}


def step_op(index: int) -> dict[str, Any]:
    return {
        "Id": f"step-{index}",
        "Type": "STEP",
        "SubType": "Step",
        "Name": f"s{index}",
        "Status": "SUCCEEDED",
        "StartTimestamp": 1_767_225_600_000,
        "StepDetails": {"Result": str(index)},
    }


def page(operations: list[dict[str, Any]], next_marker: str | None = None) -> ExecutionState:
    return ExecutionState.model_validate({"Operations": operations, "NextMarker": next_marker})


class PagedService:
    """The ``DurableService`` port over fixed pages by marker, and one fixed checkpoint answer."""

    def __init__(
        self,
        pages: dict[str, ExecutionState],
        checkpoint_answer: CheckpointResponse | None = None,
    ) -> None:
        self.pages = pages
        self.checkpoint_answer = checkpoint_answer or CheckpointResponse(CheckpointToken="tok-2")
        self.reads: list[tuple[str, str, int | None]] = []

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        return self.checkpoint_answer

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        assert len(self.reads) < READ_LIMIT, "the SDK kept paging: it would never have stopped"
        self.reads.append((checkpoint_token, marker, max_items))
        return self.pages[marker]


class EndlessService(PagedService):
    """Every page names a marker never seen before."""

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        assert len(self.reads) < READ_LIMIT, "the SDK kept paging: it would never have stopped"
        self.reads.append((checkpoint_token, marker, max_items))
        return page([], f"{marker}+")


def invocation(next_marker: str = "") -> InvocationInput:
    return parse_invocation_input(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "InitialExecutionState": {
                "Operations": [EXECUTION_OP, step_op(0)],
                "NextMarker": next_marker,
            },
        }
    )


# --- follow_pages ----------------------------------------------------------------------------


async def test_every_page_is_read_in_order_with_the_token_and_page_size() -> None:
    service = PagedService(
        {"m-1": page([step_op(1)], "m-2"), "m-2": page([step_op(2)], ""), "m-3": page([])}
    )

    pages = await follow_pages(service, ARN, "tok-1", "m-1", 25)

    assert [[op.Id for op in p.Operations] for p in pages] == [["step-1"], ["step-2"]]
    assert service.reads == [("tok-1", "m-1", 25), ("tok-1", "m-2", 25)]


@pytest.mark.parametrize("marker", ["", None])
async def test_no_marker_reads_nothing(marker: str | None) -> None:
    service = PagedService({})

    assert await follow_pages(service, ARN, "tok-1", marker) == []
    assert service.reads == []


async def test_a_page_that_names_its_own_marker_again_is_a_retriable_paging_error() -> None:
    service = PagedService({"m-1": page([step_op(1)], "m-1")})

    with pytest.raises(PagingError) as caught:
        await follow_pages(service, ARN, "tok-1", "m-1")

    error = caught.value
    assert isinstance(error, CheckpointError)
    assert error.retriable is True, "Lambda must retry the invocation, not fail the execution"
    assert error.marker == "m-1"
    assert error.pages == 1
    assert "'m-1'" in str(error)
    assert "NextMarker" in str(error)
    assert error.execution_arn == ARN
    assert len(service.reads) == 1


async def test_a_cycle_of_markers_is_caught_when_it_comes_round() -> None:
    service = PagedService(
        {"m-1": page([step_op(1)], "m-2"), "m-2": page([step_op(2)], "m-3"), "m-3": page([], "m-1")}
    )

    with pytest.raises(PagingError) as caught:
        await follow_pages(service, ARN, "tok-1", "m-1")

    assert caught.value.marker == "m-1"
    assert [marker for _, marker, _ in service.reads] == ["m-1", "m-2", "m-3"]


async def test_more_pages_than_any_state_has_is_a_paging_error() -> None:
    service = EndlessService({})

    with pytest.raises(PagingError) as caught:
        await follow_pages(service, ARN, "tok-1", "m", max_pages=5)

    assert caught.value.retriable is True
    assert caught.value.pages == 5
    assert "at most 5" in str(caught.value)
    assert len(service.reads) == 5


def test_the_page_bound_is_far_above_any_real_state() -> None:
    # 1,000 operations a page: the bound is only ever reached by a loop.
    assert MAX_PAGES * 1000 >= 100_000_000


# --- load_state ------------------------------------------------------------------------------


async def test_load_state_reads_every_further_page_with_the_largest_page_size() -> None:
    service = PagedService({"m-1": page([step_op(1)], "m-2"), "m-2": page([step_op(2)])})
    event = invocation("m-1")

    state = await load_state(event, service)

    assert [op.Id for op in state.operations()] == ["exec", "step-0", "step-1", "step-2"]
    assert service.reads == [("tok-1", "m-1", 1000), ("tok-1", "m-2", 1000)]
    # The invocation input keeps the operations it came with.
    assert [op.Id for op in event.InitialExecutionState.Operations] == ["exec", "step-0"]


async def test_load_state_with_a_repeating_marker_raises_instead_of_paging_for_ever() -> None:
    service = PagedService({"m-1": page([step_op(1)], "m-2"), "m-2": page([step_op(2)], "m-2")})

    with pytest.raises(PagingError) as caught:
        await load_state(invocation("m-1"), service)

    assert caught.value.marker == "m-2"
    assert caught.value.retriable is True


async def test_an_invocation_whose_pages_repeat_is_raised_for_lambda_to_retry() -> None:
    ran: list[object] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        ran.append(event)
        return "done"

    service = PagedService({"m-1": page([step_op(1)], "m-1")})

    with pytest.raises(PagingError):
        await run_invocation(
            handler,
            invocation("m-1"),
            service=service,
            serdes=JsonSerDes(),
            clock=FakeClock(),
            random=random.Random(0),
            logger=NullLogger(),
            options=RuntimeOptions(),
        )
    assert ran == [], "the handler must not run on a state that was never fully read"


# --- the pages after a checkpoint answer ----------------------------------------------------


async def checkpoint_once(service: PagedService) -> Checkpointer:
    state = await load_state(invocation(), service)
    checkpointer = Checkpointer(service, state, "tok-1", CheckpointMode.EAGER)
    await checkpointer.send(
        OperationUpdate(Id="step-9", Type=OperationType.STEP, Action=OperationAction.START)
    )
    return checkpointer


async def test_the_pages_after_a_checkpoint_answer_are_applied_with_the_new_token() -> None:
    answer = CheckpointResponse(
        CheckpointToken="tok-2", NewExecutionState=page([step_op(1)], "m-1")
    )
    service = PagedService({"m-1": page([step_op(2)], "m-2"), "m-2": page([step_op(3)])}, answer)

    checkpointer = await checkpoint_once(service)

    assert [marker for _, marker, _ in service.reads] == ["m-1", "m-2"]
    assert {token for token, _, _ in service.reads} == {"tok-2"}
    assert checkpointer.token == "tok-2"
    state = checkpointer._state
    assert all(state.get(f"step-{i}") is not None for i in (1, 2, 3))


async def test_a_checkpoint_answer_whose_pages_repeat_fails_the_checkpoint_retriably() -> None:
    answer = CheckpointResponse(CheckpointToken="tok-2", NewExecutionState=page([], "m-1"))
    service = PagedService({"m-1": page([step_op(1)], "m-1")}, answer)

    with pytest.raises(PagingError) as caught:
        await checkpoint_once(service)

    assert caught.value.retriable is True
    assert len(service.reads) == 1
