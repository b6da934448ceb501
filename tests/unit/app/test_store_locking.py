"""A store that declares ``LockingExecutionStore`` is locked by the orchestrator and the service.

``SharedMemoryStore`` is a real ``LockingExecutionStore`` kept in memory: several store objects
over one ``SharedStorage`` behave as processes sharing a folder of files, and its locks raise the
port's own ``ExecutionLockedError``. It passes the store and service contract suites (their
locking tests included), and the local orchestrator and service use its locks with no code that
knows about it.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
from durable_lambda.core.model import OperationUpdate
from durable_lambda.service.ports import (
    ExecutionAlreadyExistsError,
    ExecutionLockedError,
    ExecutionNotFoundError,
    ExecutionStore,
    LockingExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus, ExecutionSummary

ECHO = """
    from durable_lambda import durable_execution

    @durable_execution
    async def handler(event, ctx):
        return event
"""


class SharedStorage:
    """What several ``SharedMemoryStore`` objects share: records as JSON text, and locks."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    def lock_for(self, key: str) -> asyncio.Lock:
        """Return the lock of ``key``, made when first asked for."""
        return self.locks.setdefault(key, asyncio.Lock())


class SharedMemoryStore:
    """A ``LockingExecutionStore`` over a ``SharedStorage`` (see the module docstring)."""

    def __init__(self, storage: SharedStorage | None = None) -> None:
        self.storage = storage or SharedStorage()

    async def create(self, record: ExecutionRecord) -> None:
        """Store a new record."""
        if record.arn in self.storage.records:
            raise ExecutionAlreadyExistsError("exists already", execution_arn=record.arn)
        self.storage.records[record.arn] = record.to_json()

    async def load(self, arn: str) -> ExecutionRecord:
        """Return a copy of the record; the await lets other tasks in, as storage I/O would."""
        await asyncio.sleep(0)
        return ExecutionRecord.from_json(self._text(arn))

    async def save(self, record: ExecutionRecord) -> None:
        """Replace the stored record."""
        self._text(record.arn)
        await asyncio.sleep(0)
        self.storage.records[record.arn] = record.to_json()

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return every execution's summary, oldest first."""
        return [ExecutionRecord.from_json(text).summary() for text in self.storage.records.values()]

    @asynccontextmanager
    async def lock(self, arn: str, wait: bool | float = False) -> AsyncIterator[None]:
        """Hold the driver's lock of ``arn`` (see ``LockingExecutionStore.lock``)."""
        lock = self.storage.lock_for(f"drive:{arn}")
        if wait is False and lock.locked():
            raise ExecutionLockedError(execution_arn=arn)
        try:
            async with asyncio.timeout(None if wait is True else float(wait)):
                await lock.acquire()
        except TimeoutError:
            raise ExecutionLockedError(execution_arn=arn) from None
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def record_lock(self, arn: str) -> AsyncIterator[None]:
        """Hold the record lock of ``arn``; an unknown execution is refused, nothing made."""
        self._text(arn)
        async with self.storage.lock_for(f"record:{arn}"):
            yield

    def _text(self, arn: str) -> str:
        try:
            return self.storage.records[arn]
        except KeyError:
            raise ExecutionNotFoundError("no such execution", execution_arn=arn) from None


class TestSharedMemoryStoreContract(ExecutionStoreContract):
    async def make_store(self) -> ExecutionStore:
        return SharedMemoryStore()

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        assert isinstance(store, SharedMemoryStore)
        return SharedMemoryStore(store.storage)


class TestLocalServiceOverSharedMemoryStore(DurableServiceContract):
    async def make_store(self) -> ExecutionStore:
        return SharedMemoryStore()

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        assert isinstance(store, SharedMemoryStore)
        return SharedMemoryStore(store.storage)


def test_it_declares_locking() -> None:
    store: LockingExecutionStore = SharedMemoryStore()  # checked statically too
    assert isinstance(store, LockingExecutionStore)


async def test_the_orchestrator_leaves_an_execution_another_driver_holds(tmp_path: Path) -> None:
    module = tmp_path / "echo.py"
    module.write_text(textwrap.dedent(ECHO))
    store = SharedMemoryStore()
    orchestrator = LocalOrchestrator(store, clock=FakeClock())
    busy = await orchestrator.start(f"{module}:handler", {"n": 1})
    free = await orchestrator.start(f"{module}:handler", {"n": 2})

    async with SharedMemoryStore(store.storage).lock(busy):  # another driver, as another process
        finished = await orchestrator.resume_all()
        with pytest.raises(ExecutionLockedError) as caught:
            await orchestrator.run(busy)
    assert caught.value.execution_arn == busy

    assert [(record.arn, record.status) for record in finished] == [
        (free, ExecutionStatus.SUCCEEDED)
    ]
    record = await orchestrator.run(busy)  # released: now it runs
    assert (record.status, record.result) == (ExecutionStatus.SUCCEEDED, '{"n": 1}')


async def test_the_service_changes_a_record_only_under_its_record_lock() -> None:
    store = SharedMemoryStore()
    service = LocalDurableService(store, FakeClock())
    arn = await service.start_execution("fn", "{}")
    token = (await service.invocation_input(arn)).CheckpointToken
    update = OperationUpdate.model_validate({"Id": "s", "Type": "STEP", "Action": "START"})

    async with store.record_lock(arn):  # another process is changing the record
        checkpoint = asyncio.create_task(service.checkpoint(arn, token, [update]))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not checkpoint.done(), "the service changed the record under another's lock"
    response = await asyncio.wait_for(checkpoint, 30)

    assert [op.Id for op in response.NewExecutionState.Operations] == ["s"]
    assert "s" in (await store.load(arn)).operations
