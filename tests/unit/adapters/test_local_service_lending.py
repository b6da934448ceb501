"""The local service over a store that lends its records: in place, no copies, same behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.contract import DurableServiceContract
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import OperationAction, OperationType, OperationUpdate
from durable_lambda.service.callbacks import UnknownCallbackError, callback_id_for
from durable_lambda.service.ports import ExecutionStore, LendingExecutionStore
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

START = datetime(2026, 1, 1, tzinfo=UTC)
A = OperationAction
T = OperationType


class CopyingStore:
    """An in-memory store that only loads and saves copies, as a store in another process does."""

    def __init__(self) -> None:
        self._inner = InMemoryExecutionStore()

    async def create(self, record: ExecutionRecord) -> None:
        await self._inner.create(record)

    async def load(self, arn: str) -> ExecutionRecord:
        return await self._inner.load(arn)

    async def save(self, record: ExecutionRecord) -> None:
        await self._inner.save(record)

    async def list_executions(self) -> list[ExecutionSummary]:
        return await self._inner.list_executions()


class TestLocalServiceOverACopyingStore(DurableServiceContract):
    """Without lending, the service behaves exactly as over the lending in-memory store."""

    async def make_store(self) -> ExecutionStore:
        return CopyingStore()


def update(
    op_id: str, type_: OperationType, action: OperationAction, **fields: object
) -> OperationUpdate:
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


async def started() -> tuple[LocalDurableService, InMemoryExecutionStore, str, str]:
    store = InMemoryExecutionStore()
    service = LocalDurableService(store, FakeClock(START))
    arn = await service.start_execution("fn", "{}")
    token = (await service.invocation_input(arn)).CheckpointToken
    return service, store, arn, token


def test_the_in_memory_store_lends_and_a_copying_store_does_not() -> None:
    assert isinstance(InMemoryExecutionStore(), LendingExecutionStore)
    assert not isinstance(CopyingStore(), LendingExecutionStore)


async def test_checkpoints_change_the_stored_record_without_copying_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, store, arn, token = await started()
    stored = store.lend(arn)
    copies = 0
    snapshot = ExecutionRecord.snapshot

    def counted(record: ExecutionRecord) -> ExecutionRecord:
        nonlocal copies
        copies += 1
        return snapshot(record)

    monkeypatch.setattr(ExecutionRecord, "snapshot", counted)
    for n in range(20):
        steps = [update(f"s{n}", T.STEP, A.START), update(f"s{n}", T.STEP, A.SUCCEED, Payload="1")]
        token = (await service.checkpoint(arn, token, steps)).CheckpointToken or ""
    assert await service.needs_invocation(arn) is False
    await service.advance(arn)

    assert copies == 0
    assert store.lend(arn) is stored
    assert len(stored.operations) == 21


async def test_records_handed_out_are_copies() -> None:
    service, store, arn, token = await started()
    record = await service.get_record(arn)
    record.operations.clear()
    record.history.clear()
    events = await service.history(arn)
    events.clear()

    await service.checkpoint(arn, token, [update("s", T.STEP, A.START)])

    assert list(store.lend(arn).operations)[-1] == "s"
    assert len(await service.history(arn)) == 2
    assert record.operations == {}
    assert (await store.load(arn)).operations is not store.lend(arn).operations


async def test_a_refused_checkpoint_leaves_the_stored_record_as_it_was() -> None:
    service, store, arn, token = await started()
    before = await store.load(arn)

    with pytest.raises(CheckpointError):
        await service.checkpoint(
            arn, token, [update("s", T.STEP, A.START), update("x", T.STEP, A.SUCCEED)]
        )

    assert await store.load(arn) == before


async def test_a_refused_callback_answer_keeps_nothing_of_what_it_did_first() -> None:
    """Answering fires due timers first; when the answer is refused, that is undone too."""
    clock = FakeClock(START)
    store = InMemoryExecutionStore()
    service = LocalDurableService(store, clock)
    arn = await service.start_execution("fn", "{}")
    token = (await service.invocation_input(arn)).CheckpointToken
    wait = update("w", T.WAIT, A.START, WaitOptions={"WaitSeconds": 1})
    await service.checkpoint(arn, token, [wait])
    clock.advance(5)
    before = await store.load(arn)

    with pytest.raises(UnknownCallbackError):
        await service.send_callback_success(callback_id_for(arn, "no-such-operation"), '"late"')

    assert await store.load(arn) == before
    assert store.lend(arn).operations["w"].Status.value == "STARTED"
    assert await service.advance(arn)
    assert store.lend(arn).operations["w"].Status.value == "SUCCEEDED"
    assert clock.now() == START + timedelta(seconds=5)
