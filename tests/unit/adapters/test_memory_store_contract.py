"""The in-memory store (and the local service over it) pass the storage adapter contract."""

from __future__ import annotations

from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract, sample_record
from durable_lambda.service.ports import ExecutionStore


class TestInMemoryStoreContract(ExecutionStoreContract):
    async def make_store(self) -> ExecutionStore:
        return InMemoryExecutionStore()

    async def test_a_reopened_store_sees_every_record(self) -> None:
        # An in-memory store has no storage outside the object: a second one starts empty
        # (the contract's reopen check applies to stores with storage, like the file store).
        store = await self.make_store()
        await store.create(sample_record("a"))
        assert [s.DurableExecutionName for s in await store.list_executions()] == ["a"]
        assert await InMemoryExecutionStore().list_executions() == []


class TestLocalServiceOverInMemoryStore(DurableServiceContract):
    async def make_store(self) -> ExecutionStore:
        return InMemoryExecutionStore()
