"""The file store (and the local service over it) pass the storage adapter contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
from durable_lambda.service.ports import ExecutionStore


class TestFileStoreContract(ExecutionStoreContract):
    @pytest.fixture(autouse=True)
    def _root(self, tmp_path: Path) -> None:
        self.root = tmp_path / "store"

    async def make_store(self) -> ExecutionStore:
        return FileExecutionStore(self.root)

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        return FileExecutionStore(self.root)


class TestLocalServiceOverFileStore(DurableServiceContract):
    @pytest.fixture(autouse=True)
    def _root(self, tmp_path: Path) -> None:
        self.root = tmp_path / "store"

    async def make_store(self) -> ExecutionStore:
        return FileExecutionStore(self.root)
