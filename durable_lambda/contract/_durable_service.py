"""``DurableServicePortContract``: a ``DurableService`` answers as the Lambda service does.

The port is what an invocation calls: ``checkpoint`` and ``get_state`` (``core/ports.py``). The
suite calls them as the SDK does, on an execution whose invocation is in progress, and checks what
every implementation must answer: tokens that rotate, updates recorded in order with what each
action records, callback ids, waits and retries scheduled, parents kept, pages that cover every
operation once. It holds for the service on AWS (through boto3; tested against the official
emulator) and for the local service, and a service of your own proves itself by passing it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from durable_lambda.contract._checks import raises, same
from durable_lambda.core.errors import CheckpointError, DurableExecutionError
from durable_lambda.core.model import (
    CheckpointResponse,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import DurableService

__all__ = ["DurableServicePortContract", "LentInvocation"]

_PAGE = 3
_PAYLOAD = '{"text": "line one\\nline \\"two\\"", "emoji": "\U0001f680"}'
_LONG = 3600  # seconds: a wait or a retry that stays scheduled for the whole test


@dataclass(frozen=True)
class LentInvocation:
    """An execution whose invocation is in progress, lent to the suite by ``lend_invocation``.

    Attributes:
        service: The ``DurableService`` under test.
        execution_arn: The execution's ARN.
        checkpoint_token: The token the invocation was given (its first checkpoint uses it).
    """

    service: DurableService
    execution_arn: str
    checkpoint_token: str


def _update(op_id: str, type_: str, action: str, **fields: Any) -> OperationUpdate:
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


class _Invocation:
    """The suite's side of a lent invocation: it checkpoints with the latest token."""

    def __init__(self, lent: LentInvocation) -> None:
        self.service = lent.service
        self.arn = lent.execution_arn
        self.token = lent.checkpoint_token

    async def checkpoint(self, *updates: OperationUpdate) -> CheckpointResponse:
        answer = await self.service.checkpoint(self.arn, self.token, list(updates))
        assert answer.CheckpointToken, "a checkpoint of a running execution issues a new token"
        self.token = answer.CheckpointToken
        return answer

    async def operations(self, page_size: int | None = None) -> list[Operation]:
        """Every operation, page after page from the first."""
        found: list[Operation] = []
        marker = ""
        for _ in range(1000):
            page = await self.service.get_state(self.arn, self.token, marker, page_size)
            found += page.Operations
            if not page.NextMarker:
                return found
            marker = page.NextMarker
        raise AssertionError("get_state kept answering with a next marker")

    async def operation(self, op_id: str) -> Operation:
        by_id = {op.Id: op for op in await self.operations()}
        assert op_id in by_id, f"operation {op_id!r} is not in the state: {sorted(by_id)}"
        return by_id[op_id]


def _changed(answer: CheckpointResponse, op_id: str) -> Operation:
    changed = {op.Id: op for op in answer.NewExecutionState.Operations}
    assert op_id in changed, (
        f"the checkpoint's answer does not carry operation {op_id!r} it changed: {sorted(changed)}"
    )
    return changed[op_id]


def _execution(operations: Sequence[Operation]) -> Operation:
    executions = [op for op in operations if op.Type is OperationType.EXECUTION]
    same(len(executions), 1, "the number of EXECUTION operations")
    return executions[0]


class DurableServicePortContract(ABC):
    """Your ``DurableService`` answers ``checkpoint`` and ``get_state`` as the Lambda service.

    Implement ``lend_invocation`` (a new execution, started as the service starts one, whose
    first invocation is in progress) and, if the invocation must be ended, ``end_invocation``.
    """

    @abstractmethod
    async def lend_invocation(self) -> LentInvocation:
        """Start a new execution and return its service, ARN and first invocation's token."""

    async def end_invocation(self, lent: LentInvocation) -> None:
        """End the invocation ``lend_invocation`` lent, once a test is done with it."""
        return

    @asynccontextmanager
    async def _invocation(self) -> AsyncIterator[_Invocation]:
        lent = await self.lend_invocation()
        try:
            yield _Invocation(lent)
        finally:
            await self.end_invocation(lent)

    async def test_the_first_page_holds_the_started_execution(self) -> None:
        """A new execution's state is its EXECUTION operation, STARTED, with a start time."""
        async with self._invocation() as invocation:
            execution = _execution(await invocation.operations())
            same(execution.Status, OperationStatus.STARTED, "the EXECUTION operation's status")
            assert execution.StartTimestamp is not None, "the execution has a start time"

    async def test_each_checkpoint_issues_a_new_token_and_refuses_the_old(self) -> None:
        """Every checkpoint answers with a new token; a token already used is refused."""
        async with self._invocation() as invocation:
            first = invocation.token
            await invocation.checkpoint()
            second = invocation.token
            assert second != first, "a checkpoint must issue a new token"
            with raises(CheckpointError):
                await invocation.service.checkpoint(invocation.arn, first, [])
            await invocation.checkpoint()
            assert invocation.token not in (first, second), "every checkpoint issues a new token"

    async def test_a_step_started_and_succeeded_in_one_call_is_recorded(self) -> None:
        """START and SUCCEED in one call: the step is SUCCEEDED with its name and result."""
        async with self._invocation() as invocation:
            fields = {"Name": "charge", "SubType": "Step"}
            answer = await invocation.checkpoint(
                _update("step-1", "STEP", "START", **fields),
                _update("step-1", "STEP", "SUCCEED", Payload=_PAYLOAD, **fields),
            )
            for op in (_changed(answer, "step-1"), await invocation.operation("step-1")):
                same(op.Status, OperationStatus.SUCCEEDED, "the step's status")
                same((op.Type, op.Name, op.SubType), (OperationType.STEP, "charge", "Step"), "it")
                assert op.StepDetails is not None, "a step has StepDetails"
                same(op.StepDetails.Result, _PAYLOAD, "the step's stored result")

    async def test_updates_build_on_the_calls_before(self) -> None:
        """A START in one call and its SUCCEED in the next make one succeeded step."""
        async with self._invocation() as invocation:
            started = await invocation.checkpoint(_update("step-1", "STEP", "START", Name="a"))
            same(_changed(started, "step-1").Status, OperationStatus.STARTED, "after START")
            # Every update names its operation, as the SDKs send them.
            await invocation.checkpoint(_update("step-1", "STEP", "SUCCEED", Name="a", Payload="3"))
            op = await invocation.operation("step-1")
            same(op.Status, OperationStatus.SUCCEEDED, "after SUCCEED")
            same(op.Name, "a", "the name")
            assert op.StepDetails is not None, "a step has StepDetails"
            same(op.StepDetails.Result, "3", "the result")

    async def test_a_failed_step_keeps_its_error(self) -> None:
        """FAIL records the error as given."""
        async with self._invocation() as invocation:
            error = {"ErrorType": "CardDeclined", "ErrorMessage": "no\nfunds", "ErrorData": "{}"}
            await invocation.checkpoint(
                _update("step-1", "STEP", "START"),
                _update("step-1", "STEP", "FAIL", Error=error),
            )
            op = await invocation.operation("step-1")
            same(op.Status, OperationStatus.FAILED, "the step's status")
            assert op.StepDetails is not None, "a step has StepDetails"
            assert op.StepDetails.Error is not None, "a failed step has its error"
            got = op.StepDetails.Error.model_dump(exclude_none=True)
            same({key: got.get(key) for key in error}, error, "the stored error")

    async def test_a_retried_step_waits_for_its_next_attempt(self) -> None:
        """RETRY makes the step PENDING until its next attempt, the delay after the call."""
        async with self._invocation() as invocation:
            started = _execution(await invocation.operations()).StartTimestamp
            assert started is not None, "the execution has a start time"
            await invocation.checkpoint(
                _update("step-1", "STEP", "START"),
                _update(
                    "step-1",
                    "STEP",
                    "RETRY",
                    Error={"ErrorType": "Flaky"},
                    StepOptions={"NextAttemptDelaySeconds": _LONG},
                ),
            )
            op = await invocation.operation("step-1")
            same(op.Status, OperationStatus.PENDING, "a retried step's status")
            assert op.StepDetails is not None, "a step has StepDetails"
            due = op.StepDetails.NextAttemptTimestamp
            assert due is not None, "a retried step has its next attempt's time"
            earliest = started + timedelta(seconds=_LONG)
            assert earliest <= due < earliest + timedelta(hours=1), (
                f"the next attempt is due at {due}, not the delay after the call ({earliest})"
            )

    async def test_a_wait_ends_its_duration_after_it_started(self) -> None:
        """A started WAIT is STARTED, scheduled to end ``WaitSeconds`` after its start."""
        async with self._invocation() as invocation:
            options = {"WaitSeconds": _LONG}
            answer = await invocation.checkpoint(
                _update("wait-1", "WAIT", "START", WaitOptions=options)
            )
            same(_changed(answer, "wait-1").Status, OperationStatus.STARTED, "the wait's status")
            op = await invocation.operation("wait-1")
            assert op.WaitDetails is not None, "a wait has WaitDetails"
            assert op.StartTimestamp is not None, "a wait has a start time"
            same(
                op.WaitDetails.ScheduledEndTimestamp,
                op.StartTimestamp + timedelta(seconds=_LONG),
                "the wait's scheduled end",
            )

    async def test_a_callback_is_answered_with_its_id(self) -> None:
        """The answer to a CALLBACK START carries the callback id the service chose."""
        async with self._invocation() as invocation:
            answer = await invocation.checkpoint(
                _update("callback-1", "CALLBACK", "START", CallbackOptions={"TimeoutSeconds": 600})
            )
            op = _changed(answer, "callback-1")
            same(op.Status, OperationStatus.STARTED, "the callback's status")
            assert op.CallbackDetails is not None, "a callback has CallbackDetails"
            assert op.CallbackDetails.CallbackId, "the answer carries the callback's id"
            stored = await invocation.operation("callback-1")
            assert stored.CallbackDetails is not None, "a callback has CallbackDetails"
            same(stored.CallbackDetails.CallbackId, op.CallbackDetails.CallbackId, "its id")

    async def test_operations_keep_their_parent(self) -> None:
        """An operation started inside a CONTEXT keeps its ``ParentId``."""
        async with self._invocation() as invocation:
            await invocation.checkpoint(
                _update("context-1", "CONTEXT", "START", Name="child", SubType="RunInChildContext"),
                _update("step-1", "STEP", "START", ParentId="context-1", Name="inner"),
            )
            same((await invocation.operation("context-1")).ParentId, None, "the context's parent")
            same((await invocation.operation("step-1")).ParentId, "context-1", "the step's parent")

    async def test_state_pages_hold_every_operation_once_in_order(self) -> None:
        """Pages of ``max_items`` operations, marker after marker, hold each operation once."""
        async with self._invocation() as invocation:
            ids = [f"step-{index}" for index in range(7)]
            await invocation.checkpoint(*(_update(op_id, "STEP", "START") for op_id in ids))
            paged = await invocation.operations(page_size=_PAGE)
            execution = _execution(paged)
            same([op.Id for op in paged], [execution.Id, *ids], "the operations, page by page")

    async def test_an_unknown_execution_is_refused(self) -> None:
        """A checkpoint for an execution the service does not have fails; nothing is created."""
        async with self._invocation() as invocation:
            with raises(DurableExecutionError):
                await invocation.service.checkpoint(
                    f"{invocation.arn}-no-such-execution", invocation.token, []
                )
