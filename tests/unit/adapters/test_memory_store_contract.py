"""The in-memory store (and the local service over it) pass the storage adapter contract."""

from __future__ import annotations

from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
from durable_lambda.core.store import ExecutionStore


class TestInMemoryStoreContract(ExecutionStoreContract):
    async def make_store(self) -> ExecutionStore:
        return InMemoryExecutionStore()


class TestLocalServiceOverInMemoryStore(DurableServiceContract):
    async def make_store(self) -> ExecutionStore:
        return InMemoryExecutionStore()
