"""``FileExecutionStore.delete``: the execution's folder goes, the record first; links are refused.

The contract suite (``test_file_store_contract.py``) holds what every deleting store does; here
is what the files do: the folder and everything in it go, a crash after the record went leaves a
folder that nothing lists or loads, and a link planted where an execution's folder should be is
refused rather than followed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.file.errors import UnsafeFileError
from durable_lambda.contract import sample_record
from durable_lambda.service.ports import DeletingExecutionStore, ExecutionNotFoundError


def test_the_file_store_declares_delete() -> None:
    deleting: DeletingExecutionStore = FileExecutionStore("unused")  # mypy checks the signature
    assert isinstance(deleting, DeletingExecutionStore)


async def test_the_whole_folder_goes_lock_files_and_kept_copies_with_it(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path)
    record = sample_record(finished=True)
    await store.create(record)
    async with store.lock(record.arn):
        pass  # leaves the lock file
    folder = store.execution_directory(record.arn)
    (folder / "execution.jsonl.corrupt-1").write_bytes(b"kept by a repair")

    async with store.lock(record.arn):  # as the command line holds it
        await store.delete(record.arn)

    assert not folder.exists()
    assert list((tmp_path / "executions").iterdir()) == []


async def test_a_folder_left_without_its_record_is_no_execution(tmp_path: Path) -> None:
    # What a crash between the record's removal and the folder's leaves behind.
    store = FileExecutionStore(tmp_path)
    record = sample_record(finished=True)
    await store.create(record)
    store.record_path(record.arn).unlink()

    assert await store.list_executions() == []
    with pytest.raises(ExecutionNotFoundError):
        await store.load(record.arn)
    with pytest.raises(ExecutionNotFoundError):
        await store.delete(record.arn)
    await store.create(record)  # the same execution can be stored there again
    assert (await store.load(record.arn)).arn == record.arn


async def test_a_link_where_the_folder_should_be_is_refused_and_its_target_kept(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path / "store")
    elsewhere = FileExecutionStore(tmp_path / "elsewhere")
    record = sample_record(finished=True)
    await elsewhere.create(record)
    target = elsewhere.execution_directory(record.arn)
    link = store.execution_directory(record.arn)
    link.parent.mkdir(parents=True)
    os.symlink(target, link)

    with pytest.raises(UnsafeFileError, match="a symbolic link"):
        await store.delete(record.arn)

    assert (await elsewhere.load(record.arn)).arn == record.arn
    assert link.is_symlink()
