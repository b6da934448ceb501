"""The checkpointer against a recording fake of the DurableService port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.state import DurableState
from durable_lambda.core.update_size import _escaped_bound

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/1"


class RecordingService:
    """A DurableService fake: records every call, rotates tokens, optionally fails or stalls."""

    def __init__(self, *, fail_with: CheckpointError | Exception | None = None) -> None:
        self.calls: list[tuple[str, list[OperationUpdate]]] = []
        self.fail_with = fail_with
        self.gate: asyncio.Event | None = None

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        self.calls.append((checkpoint_token, list(updates)))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        ops = tuple(
            Operation(
                Id=u.Id,
                Type=u.Type,
                Status=OperationStatus.STARTED,
                StartTimestamp=datetime(2026, 1, 1, tzinfo=UTC),
            )
            for u in updates
        )
        return CheckpointResponse(
            CheckpointToken=f"t{len(self.calls)}",
            NewExecutionState=ExecutionState(Operations=ops),
        )

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return ExecutionState()


def _state() -> DurableState:
    execution = Operation(
        Id="exec",
        Type=OperationType.EXECUTION,
        Status=OperationStatus.STARTED,
        StartTimestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return DurableState(ARN, [execution])


def _update(i: int, payload: str | None = None) -> OperationUpdate:
    return OperationUpdate(
        Id=f"op-{i}", Type=OperationType.STEP, Action=OperationAction.START, Payload=payload
    )


async def test_optimistic_sends_nothing_until_flushed() -> None:
    service = RecordingService()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.OPTIMISTIC)
    for i in range(10):
        checkpointer.enqueue(_update(i))
    await asyncio.sleep(0)
    assert service.calls == []
    await checkpointer.flush()
    assert len(service.calls) == 1
    assert [u.Id for u in service.calls[0][1]] == [f"op-{i}" for i in range(10)]


async def test_tokens_rotate_from_the_input_token() -> None:
    service = RecordingService()
    state = _state()
    checkpointer = Checkpointer(service, state, "t0", CheckpointMode.EAGER)
    await checkpointer.send(_update(1))
    await checkpointer.send(_update(2))
    assert [token for token, _ in service.calls] == ["t0", "t1"]
    assert checkpointer.token == "t2"
    assert state.get("op-2") is not None  # the response's operations were applied


async def test_batches_respect_the_update_limit_and_keep_order() -> None:
    service = RecordingService()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.OPTIMISTIC)
    for i in range(600):
        checkpointer.enqueue(_update(i))
    await checkpointer.flush()
    sizes = [len(updates) for _, updates in service.calls]
    assert sizes == [250, 250, 100]
    sent = [u.Id for _, updates in service.calls for u in updates]
    assert sent == [f"op-{i}" for i in range(600)]


async def test_batches_respect_the_byte_limit() -> None:
    service = RecordingService()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.OPTIMISTIC)
    big = "x" * (200 * 1024)
    for i in range(4):
        checkpointer.enqueue(_update(i, payload=big))
    await checkpointer.flush()
    # Each update is estimated at over 400 KiB, so no two fit in one 750 KiB batch.
    assert [len(updates) for _, updates in service.calls] == [1, 1, 1, 1]


async def test_batched_mode_coalesces_updates_queued_while_a_call_is_in_flight() -> None:
    service = RecordingService()
    service.gate = asyncio.Event()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.BATCHED, linger_seconds=0)
    checkpointer.enqueue(_update(0))
    for _ in range(3):
        await asyncio.sleep(0)  # the sender takes op-0 and blocks in the call
    for i in range(1, 5):
        checkpointer.enqueue(_update(i))
    service.gate.set()
    await checkpointer.flush()
    assert [[u.Id for u in updates] for _, updates in service.calls] == [
        ["op-0"],
        ["op-1", "op-2", "op-3", "op-4"],
    ]


async def test_batched_mode_lingers_so_neighbouring_updates_share_a_call() -> None:
    service = RecordingService()
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.BATCHED, linger_seconds=60)
    checkpointer.enqueue(_update(0))
    await asyncio.sleep(0)
    checkpointer.enqueue(_update(1))
    await asyncio.sleep(0)
    assert service.calls == []  # still lingering
    await checkpointer.flush()  # a flush cuts the linger short
    assert [[u.Id for u in updates] for _, updates in service.calls] == [["op-0", "op-1"]]


async def test_a_batch_filling_up_cuts_the_linger_short() -> None:
    service = RecordingService()
    checkpointer = Checkpointer(
        service, _state(), "t0", CheckpointMode.BATCHED, linger_seconds=60, max_call_updates=3
    )
    checkpointer.enqueue(_update(0))
    await asyncio.sleep(0)  # the sender starts lingering for a minute
    checkpointer.enqueue(_update(1))
    assert not checkpointer.has_full_call()
    assert checkpointer.has_full_call(coming=1)  # full once one more update comes
    checkpointer.enqueue(_update(2))
    assert checkpointer.has_full_call()
    for _ in range(5):  # a few passes of the loop, far less than the linger
        await asyncio.sleep(0)
    assert [[u.Id for u in updates] for _, updates in service.calls] == [["op-0", "op-1", "op-2"]]
    assert not checkpointer.has_full_call()


async def test_the_sender_needs_the_loop_only_when_it_is_free_to_take_a_full_call() -> None:
    # A map's scheduler yields to the loop before a branch when this says so; while a call is
    # out the sender cannot take the next one, so a yield per branch would gain nothing.
    service = RecordingService()
    service.gate = asyncio.Event()
    checkpointer = Checkpointer(
        service, _state(), "t0", CheckpointMode.BATCHED, linger_seconds=60, max_call_updates=2
    )
    checkpointer.enqueue(_update(0))
    assert not checkpointer.sender_needs_the_loop()
    assert checkpointer.sender_needs_the_loop(coming=1)
    checkpointer.enqueue(_update(1))
    assert checkpointer.sender_needs_the_loop()  # full, and the sender is free to take it
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(service.calls) == 1  # the call is out, held at the gate
    checkpointer.enqueue(_update(2))
    checkpointer.enqueue(_update(3))
    assert checkpointer.has_full_call()
    assert not checkpointer.sender_needs_the_loop()  # the sender waits for the answer first
    service.gate.set()
    await checkpointer.flush()
    assert [[u.Id for u in updates] for _, updates in service.calls] == [
        ["op-0", "op-1"],
        ["op-2", "op-3"],
    ]
    assert not checkpointer.sender_needs_the_loop()


async def test_a_failed_call_fails_every_waiter_and_later_enqueues() -> None:
    failure = CheckpointError("boom", retriable=False)
    service = RecordingService(fail_with=failure)
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.OPTIMISTIC)
    checkpointer.enqueue(_update(0))
    with pytest.raises(CheckpointError) as raised:
        await checkpointer.flush()
    assert raised.value is failure
    with pytest.raises(CheckpointError):
        checkpointer.enqueue(_update(1))


async def test_an_unexpected_adapter_error_becomes_a_retriable_checkpoint_error() -> None:
    service = RecordingService(fail_with=RuntimeError("socket closed"))
    checkpointer = Checkpointer(service, _state(), "t0", CheckpointMode.EAGER)
    with pytest.raises(CheckpointError) as raised:
        await checkpointer.send(_update(0))
    assert raised.value.retriable
    assert "socket closed" in str(raised.value)
    assert isinstance(raised.value.__cause__, RuntimeError)


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_the_size_estimate_bounds_the_escaped_json_of_any_text(text: str) -> None:
    # botocore writes request bodies with json.dumps' default (non-ASCII escaped): the estimate
    # that keeps batches under the service's limit must never be below that.
    assert _escaped_bound(text) >= len(json.dumps(text)) - 2


def test_the_size_estimate_of_accented_text_is_what_escaping_costs() -> None:
    assert _escaped_bound("é" * 100) == len(json.dumps("é" * 100)) - 2 == 600
