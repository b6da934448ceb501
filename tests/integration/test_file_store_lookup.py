"""How the CLI finds the execution a command names when some of the store's files are damaged.

Real files; ``store_lookup`` is what ``status``, ``history``, ``resume`` and ``repair`` call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from durable_lambda import service
from durable_lambda.adapters.file import CorruptExecutionError, FileExecutionStore
from durable_lambda.app.cli.options import CommandError
from durable_lambda.app.cli.store_lookup import find_execution, find_folder
from durable_lambda.contract import sample_record
from durable_lambda.service.record import ExecutionRecord

LONG = "f" * 90  # a function name long enough to push the execution's name out of its folder name


def long_record(name: str) -> ExecutionRecord:
    return sample_record(name, arn=service.execution_arn(LONG, name, f"{name}-id"))


@pytest.fixture
async def store(tmp_path: Path) -> FileExecutionStore:
    store = FileExecutionStore(tmp_path)
    for name in ("alpha", "beta", "bravo"):
        await store.create(sample_record(name))
    store.record_path(sample_record("beta").arn).write_bytes(b"")
    return store


async def test_a_healthy_execution_is_found_by_name_or_arn_past_a_damaged_one(
    store: FileExecutionStore,
) -> None:
    alpha = sample_record("alpha").arn

    assert await find_execution(store, "alpha", store.root) == alpha
    assert await find_execution(store, "al", store.root) == alpha
    assert await find_execution(store, alpha, store.root) == alpha
    assert await find_execution(store, "bravo", store.root) == sample_record("bravo").arn


async def test_a_damaged_execution_named_alone_gives_its_own_error(
    store: FileExecutionStore,
) -> None:
    folder = store.execution_directory(sample_record("beta").arn).name

    for reference in ("beta", folder):
        with pytest.raises(CorruptExecutionError, match="the file is empty") as caught:
            await find_execution(store, reference, store.root)
        assert f"durable-lambda repair {folder}" in str(caught.value)
    beta = sample_record("beta").arn
    assert (
        await find_execution(store, beta, store.root) == beta
    )  # a full ARN: its load says what is wrong
    with pytest.raises(CorruptExecutionError, match="the file is empty"):
        await store.load(beta)
    for reference in ("beta", folder, beta):
        assert await find_folder(store, reference) == folder


async def test_a_prefix_of_a_healthy_and_a_damaged_execution_is_ambiguous(
    store: FileExecutionStore,
) -> None:
    with pytest.raises(CommandError, match=r"matches 2 executions \(bravo, .*beta.* \(damaged\)"):
        await find_execution(store, "b", store.root)
    with pytest.raises(CommandError, match="no execution matches 'zulu'"):
        await find_execution(store, "zulu", store.root)


async def test_a_damaged_execution_whose_folder_lost_its_name_is_offered(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path)
    record = long_record("gamma")
    await store.create(record)
    path = store.record_path(record.arn)
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="it may be a damaged one") as caught:
        await find_execution(store, "gamma", store.root)
    assert path.parent.name in str(caught.value)
    assert await find_folder(store, path.parent.name) == path.parent.name
