"""The file store (and the local service over it) pass the storage adapter contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
from durable_lambda.service.ports import (
    ExecutionStore,
    LockingExecutionStore,
    RepairableExecutionStore,
)


class TestFileStoreContract(ExecutionStoreContract):
    @pytest.fixture(autouse=True)
    def _root(self, tmp_path: Path) -> None:
        self.root = tmp_path / "store"

    async def make_store(self) -> ExecutionStore:
        return FileExecutionStore(self.root)

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        return FileExecutionStore(self.root)

    async def damage_record(self, store: ExecutionStore, arn: str) -> bool:
        assert isinstance(store, FileExecutionStore)
        store.record_path(arn).write_bytes(b"")  # what a power cut can leave
        return True


class TestLocalServiceOverFileStore(DurableServiceContract):
    @pytest.fixture(autouse=True)
    def _root(self, tmp_path: Path) -> None:
        self.root = tmp_path / "store"

    async def make_store(self) -> ExecutionStore:
        return FileExecutionStore(self.root)

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        return FileExecutionStore(self.root)


def test_the_file_store_declares_locking_and_repair() -> None:
    store = FileExecutionStore("unused")
    locking: LockingExecutionStore = store  # mypy checks the methods' signatures
    repairable: RepairableExecutionStore = store
    assert isinstance(locking, LockingExecutionStore)
    assert isinstance(repairable, RepairableExecutionStore)
