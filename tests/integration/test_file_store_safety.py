"""FileExecutionStore against planted links and pipes, damage, umasks and junk callback ids.

Real files in a scratch folder; the CLI-level versions of these attacks are in
``tests/reliability/test_file_store_attacks.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable_lambda import service
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import (
    ExecutionLockedError,
    ExecutionStoreError,
    FileExecutionStore,
    RepairOutcome,
    UnsafeFileError,
)
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.contract import START, sample_record
from durable_lambda.contract._samples import update
from durable_lambda.core.errors import ValidationError
from durable_lambda.service.callbacks import UnknownCallbackError, callback_id_for
from durable_lambda.service.ports import ExecutionNotFoundError


@pytest.fixture
def store(tmp_path: Path) -> FileExecutionStore:
    return FileExecutionStore(tmp_path / "store")


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    found: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        found[str(path)] = (mode, path.read_bytes() if stat.S_ISREG(mode) else None)
    return found


async def test_files_are_0600_and_folders_0700_whatever_the_umask(
    store: FileExecutionStore,
) -> None:
    record = sample_record()
    with umask(0):
        await store.create(record)
        await store.save(sample_record(finished=True))
        await store.update(record.arn, lambda stored: setattr(stored, "invocation_count", 9))
        async with store.lock(record.arn), store.record_lock(record.arn):
            pass
        await store.repair(sample_record())

    found = snapshot(store.root)
    # executions/, its folder, the record and its journal, the copies the repair kept of both,
    # two locks
    assert len(found) == 8
    assert {Path(path).name.split(".corrupt-")[0] for path in found} >= {"journal"}
    for path, (mode, _) in found.items():
        assert stat.S_IMODE(mode) == (0o700 if stat.S_ISDIR(mode) else 0o600), path
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


@pytest.mark.parametrize("lock_name", ["lock", "record_lock"])
async def test_a_link_at_a_lock_path_is_refused_and_its_target_untouched(
    store: FileExecutionStore, tmp_path: Path, lock_name: str
) -> None:
    record = sample_record()
    await store.create(record)
    precious = tmp_path / "precious"
    precious.write_text("keep me")
    lock = store.lock(record.arn) if lock_name == "lock" else store.record_lock(record.arn)
    lock.path.symlink_to(precious)

    with pytest.raises(UnsafeFileError) as caught:
        async with lock:
            pass

    assert caught.value.found == "a symbolic link"
    assert (caught.value.path, caught.value.execution_arn) == (lock.path, record.arn)
    assert precious.read_text() == "keep me"
    dangling = tmp_path / "nowhere"
    lock.path.unlink()
    lock.path.symlink_to(dangling)
    with pytest.raises(UnsafeFileError):
        async with lock:
            pass
    assert not dangling.exists()  # O_CREAT did not create the link's target either


async def test_a_link_at_the_record_path_is_neither_read_nor_overwritten(
    store: FileExecutionStore, tmp_path: Path
) -> None:
    record = sample_record()
    await store.create(record)
    path = store.record_path(record.arn)
    elsewhere = tmp_path / "elsewhere.jsonl"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    before = elsewhere.read_bytes()

    with pytest.raises(UnsafeFileError, match="symbolic link"):
        await store.load(record.arn)
    with pytest.raises(UnsafeFileError):
        await FileExecutionStore(store.root).save(sample_record(finished=True))

    assert elsewhere.read_bytes() == before
    [damaged] = (await store.scan()).damaged
    assert damaged.repairable
    assert "a symbolic link" in damaged.problem


async def test_a_pipe_at_the_record_path_is_refused_without_waiting_for_a_writer(
    store: FileExecutionStore,
) -> None:
    record = sample_record()
    await store.create(record)
    path = store.record_path(record.arn)
    path.unlink()
    os.mkfifo(path)

    # The guard only turns a hang (what opening a pipe without O_NONBLOCK does) into a failure.
    async with asyncio.timeout(30):
        with pytest.raises(UnsafeFileError, match="FIFO"):
            await store.load(record.arn)
        listing = await store.scan()

    assert listing.damaged[0].error.path == path


async def test_a_record_lock_of_an_unknown_execution_creates_nothing(
    store: FileExecutionStore,
) -> None:
    await store.create(sample_record())
    before = snapshot(store.root)

    with pytest.raises(ExecutionNotFoundError):
        async with store.record_lock(sample_record("ghost").arn):
            pass

    assert snapshot(store.root) == before


async def test_junk_callback_ids_leave_the_store_as_it_was(store: FileExecutionStore) -> None:
    local = LocalDurableService(store, FakeClock(START))
    arn = await local.start_execution("fn", "{}")
    token = (await local.invocation_input(arn)).CheckpointToken
    await local.checkpoint(arn, token, [update("c", "CALLBACK", "START")])
    ghost = arn.replace("durable-execution/", "durable-execution/ghost-")
    before = snapshot(store.root)

    for junk in [callback_id_for(ghost, "c"), callback_id_for(ghost, "c", "k"), "x.y", "%"]:
        with pytest.raises(UnknownCallbackError):
            await local.send_callback_success(junk, "{}")
    for guess in [callback_id_for(arn, "c"), callback_id_for(arn, "c", "a guessed key")]:
        with pytest.raises(UnknownCallbackError):
            await local.send_callback_success(guess, "{}")

    assert snapshot(store.root) == before


async def test_callback_ids_handed_out_before_executions_had_a_secret_still_answer(
    store: FileExecutionStore,
) -> None:
    # A record as an earlier version stored it: no callback secret, an id from the ARN alone.
    arn = service.execution_arn("fn", "old", "0" * 32)
    record = service.start_execution(arn, "fn", "{}", START)
    service.invocation_input(record, None)
    service.apply_checkpoint(
        record, record.checkpoint_token, [update("c", "CALLBACK", "START")], START
    )
    assert record.callback_key is None
    await store.create(record)
    local = LocalDurableService(store, FakeClock(START))
    old_id = callback_id_for(arn, "c")

    answered = await local.send_callback_success(old_id, '"ok"')
    token = (await local.invocation_input(arn)).CheckpointToken
    response = await local.checkpoint(arn, token, [update("d", "CALLBACK", "START")])

    assert answered.Status.value == "SUCCEEDED"
    [new] = [op for op in response.NewExecutionState.Operations if op.Id == "d"]
    assert new.CallbackDetails is not None
    new_id = new.CallbackDetails.CallbackId
    assert new_id is not None
    assert new_id != callback_id_for(arn, "d")  # derived from a secret now
    assert new_id == callback_id_for(arn, "d", (await store.load(arn)).callback_key)
    assert (await local.send_callback_success(new_id, '"ok"')).Status.value == "SUCCEEDED"


# recover: what `durable-lambda repair` does.


async def test_recover_leaves_a_sound_execution_alone(store: FileExecutionStore) -> None:
    await store.create(sample_record())
    folder = store.execution_directory(sample_record().arn)
    before = (folder / "execution.jsonl").read_bytes()

    report = await store.recover(folder.name)

    assert report.outcome is RepairOutcome.HEALTHY
    assert report.restored is not None
    assert report.restored.record == sample_record()
    assert (folder / "execution.jsonl").read_bytes() == before
    assert not list(folder.glob("execution.jsonl.corrupt-*"))


async def test_recover_takes_the_most_advanced_copy_left_in_the_folder(
    store: FileExecutionStore,
) -> None:
    await store.create(sample_record())
    path = store.record_path(sample_record().arn)
    older = path.read_bytes()
    newer = sample_record(finished=True)
    newer.token_sequence += 5
    await store.save(newer)
    (path.parent / ".execution.jsonl.999999999-0001.tmp").write_bytes(path.read_bytes())
    (path.parent / ".execution.jsonl.999999998-0002.tmp").write_bytes(older)
    cut = path.read_bytes()[:-20]
    path.write_bytes(cut)  # cut short

    report = await store.recover(path.parent.name)

    assert report.outcome is RepairOutcome.RESTORED
    assert report.problem is not None
    assert "truncated" in report.problem
    assert report.restored is not None
    assert report.restored.verified
    assert report.restored.path.name == ".execution.jsonl.999999999-0001.tmp"
    assert await FileExecutionStore(store.root).load(newer.arn) == newer
    assert report.kept is not None
    assert report.kept.read_bytes() == cut  # the damaged file, kept
    assert [s.DurableExecutionName for s in await store.list_executions()] == ["sample"]


async def test_recover_sets_aside_a_file_with_nothing_to_save(store: FileExecutionStore) -> None:
    await store.create(sample_record("lost"))
    await store.create(sample_record("kept"))
    path = store.record_path(sample_record("lost").arn)
    path.write_bytes(b"")

    report = await store.recover(path.parent.name)

    assert report.outcome is RepairOutcome.SET_ASIDE
    assert report.problem == "the file is empty"
    assert not path.exists()
    assert report.kept is not None
    assert report.kept.read_bytes() == b""
    listing = await store.scan()
    assert ([s.DurableExecutionName for s in listing.executions], listing.damaged) == (["kept"], [])
    with pytest.raises(ExecutionNotFoundError):
        await store.recover(path.parent.name)  # nothing left to repair


async def test_recover_refuses_what_a_repair_would_not_fix(
    store: FileExecutionStore,
) -> None:
    record = sample_record()
    await store.create(record)
    path = store.record_path(record.arn)
    path.write_bytes(path.read_bytes().replace(b'"version":2', b'"version":9', 1))

    with pytest.raises(ExecutionStoreError, match="newer durable-lambda"):
        await store.recover(path.parent.name)
    for name in ["", ".", "..", "a/b", "no-such-folder"]:
        with pytest.raises((ValidationError, ExecutionNotFoundError)):
            await store.recover(name)
    path.write_bytes(b"")
    async with store.lock(record.arn):
        with pytest.raises(ExecutionLockedError):
            await FileExecutionStore(store.root).recover(path.parent.name)
    assert path.read_bytes() == b""
