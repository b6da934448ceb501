"""FileExecutionStore on real files: layout, damage, repair, ordering, in-process locks."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from durable_lambda.adapters.file import (
    CorruptExecutionError,
    ExecutionLockedError,
    ExecutionStoreError,
    FileExecutionStore,
    UnsafeFileError,
)
from durable_lambda.contract import START, sample_record
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus


@pytest.fixture
def store(tmp_path: Path) -> FileExecutionStore:
    return FileExecutionStore(tmp_path / "store")


def lines(path: Path) -> tuple[dict[str, object], dict[str, object]]:
    header, record, rest = path.read_bytes().split(b"\n")
    assert rest == b""
    return json.loads(header), json.loads(record)


async def test_one_directory_per_execution_with_the_arn_inside(store: FileExecutionStore) -> None:
    record = sample_record("order-17")
    await store.create(record)

    path = store.record_path(record.arn)
    header, body = lines(path)
    digest = hashlib.sha256(record.arn.encode()).hexdigest()[:16]
    assert path.parent.name == f"contract-fn.order-17-{digest}"
    assert path.parent.parent == store.root / "executions"
    assert body["arn"] == record.arn
    assert header["summary"] == json.loads(record.summary().model_dump_json())
    assert header["record_bytes"] == len(record.to_json().encode())
    assert sorted(p.name for p in path.parent.iterdir()) == ["execution.jsonl"]


async def test_the_default_root_is_dot_durable_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = FileExecutionStore()
    monkeypatch.chdir(tmp_path.parent)  # the root was fixed when the store was made

    await store.create(sample_record())

    assert store.root == tmp_path / ".durable"
    assert store.record_path(sample_record().arn).is_file()


async def test_the_header_follows_every_save(store: FileExecutionStore) -> None:
    await store.create(sample_record())
    await store.save(sample_record(finished=True))

    header, _ = lines(store.record_path(sample_record().arn))

    assert header["summary"] == json.loads(sample_record(finished=True).summary().model_dump_json())


def truncate_record(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip_a_record_byte(data: bytes) -> bytes:
    at = data.index(b'"history"') + 2
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]


def rewrite_with_checksum(data: bytes) -> bytes:
    """An edit by hand that even fixed the checksum: the record itself no longer validates."""
    header, body, _ = data.split(b"\n")
    body = body.replace(b'"status":"RUNNING"', b'"status":"SLEEPING"')
    fields = json.loads(header)
    fields.update(record_bytes=len(body), record_sha256=hashlib.sha256(body).hexdigest())
    return json.dumps(fields).encode() + b"\n" + body + b"\n"


DAMAGES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "empty": (lambda data: b"", "the file is empty"),
    "truncated record": (truncate_record, "truncated"),
    "truncated header": (lambda data: data[:40], "header line never ends"),
    "garbage": (lambda data: b"\x00\xffnot json\n{}\n", "header line is not valid"),
    "flipped byte": (flip_a_record_byte, "SHA-256 does not match"),
    "appended": (lambda data: data + b"{}\n", "appended"),
    "edited by hand": (rewrite_with_checksum, "record does not validate (status"),
    "other format": (
        lambda data: data.replace(b"durable-lambda/execution", b"something/else", 1),
        "not an execution file",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
async def test_damage_is_reported_with_the_path_and_never_overwritten(
    tmp_path: Path, damage: str
) -> None:
    store = FileExecutionStore(tmp_path)
    await store.create(sample_record())
    path = store.record_path(sample_record().arn)
    corrupt, problem = DAMAGES[damage]
    damaged = corrupt(path.read_bytes())
    path.write_bytes(damaged)

    for attempt in (store, FileExecutionStore(tmp_path)):  # the writer, and a fresh store
        with pytest.raises(CorruptExecutionError) as caught:
            await attempt.load(sample_record().arn)
        assert caught.value.path == path
        assert problem in caught.value.problem
        assert str(path) in str(caught.value)
        with pytest.raises(CorruptExecutionError):
            await attempt.save(sample_record(finished=True))
    assert path.read_bytes() == damaged


async def test_a_file_holding_another_execution_is_corrupt(store: FileExecutionStore) -> None:
    await store.create(sample_record("a"))
    await store.create(sample_record("b"))
    b_path = store.record_path(sample_record("b").arn)
    b_path.write_bytes(store.record_path(sample_record("a").arn).read_bytes())

    with pytest.raises(CorruptExecutionError, match="holds execution") as caught:
        await store.load(sample_record("b").arn)
    assert caught.value.execution_arn == sample_record("b").arn
    listing = await store.scan()
    assert [s.DurableExecutionName for s in listing.executions] == ["a"]
    [damaged] = listing.damaged
    assert damaged.directory == b_path.parent
    assert "whose directory is" in damaged.problem


async def test_a_newer_format_version_is_refused_but_not_called_corrupt(
    store: FileExecutionStore,
) -> None:
    await store.create(sample_record())
    path = store.record_path(sample_record().arn)
    path.write_bytes(path.read_bytes().replace(b'"version":2', b'"version":9', 1))

    with pytest.raises(ExecutionStoreError, match="newer durable-lambda") as caught:
        await store.load(sample_record().arn)
    assert not isinstance(caught.value, CorruptExecutionError)


async def test_repair_keeps_the_damaged_file_and_stores_the_record(
    store: FileExecutionStore,
) -> None:
    await store.create(sample_record())
    path = store.record_path(sample_record().arn)
    path.write_bytes(truncate_record(path.read_bytes()))
    damaged = path.read_bytes()

    kept = await store.repair(sample_record(finished=True))

    assert kept is not None
    assert kept.parent == path.parent
    assert kept.name.startswith("execution.jsonl.corrupt-")
    assert kept.read_bytes() == damaged
    assert await store.load(sample_record().arn) == sample_record(finished=True)
    await store.save(sample_record())
    assert [s.DurableExecutionName for s in await store.list_executions()] == ["sample"]
    assert await store.repair(sample_record("new")) is None


async def test_listing_reads_only_the_headers(store: FileExecutionStore) -> None:
    await store.create(sample_record("a"))
    await store.create(sample_record("b", start=START + timedelta(seconds=1)))
    path = store.record_path(sample_record("a").arn)
    header, record, _ = path.read_bytes().split(b"\n")
    path.write_bytes(header + b"\n" + b"{" * len(record) + b"\n")  # same size, broken record

    listed = await store.list_executions()

    assert [s.DurableExecutionName for s in listed] == ["a", "b"]
    with pytest.raises(CorruptExecutionError):
        await store.load(sample_record("a").arn)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda data: b"", "the file is empty"),
        (lambda data: data[:30], "header line is truncated"),
        (lambda data: data[:-7], "truncated or appended to"),
        (lambda data: data + b"more\n", "truncated or appended to"),
        (lambda data: b"not json\n" + data, "header line is not valid"),
    ],
)
async def test_a_damaged_file_is_listed_apart_and_hides_nothing(
    store: FileExecutionStore, damage: Callable[[bytes], bytes], problem: str
) -> None:
    await store.create(sample_record("a"))
    await store.create(sample_record("b", start=START + timedelta(seconds=1)))
    path = store.record_path(sample_record("a").arn)
    path.write_bytes(damage(path.read_bytes()))

    listing = await store.scan()

    assert [s.DurableExecutionName for s in listing.executions] == ["b"]
    assert await store.list_executions() == listing.executions
    [damaged] = listing.damaged
    assert (damaged.path, damaged.directory.name) == (path, path.parent.name)
    assert problem in damaged.problem
    assert damaged.repairable
    assert damaged.readable_name == "contract-fn.a"
    assert "durable-lambda repair" in str(damaged.error)
    assert await store.load(sample_record("b").arn) == sample_record(
        "b", start=START + timedelta(seconds=1)
    )


async def test_a_creation_that_never_finished_is_not_an_execution(
    store: FileExecutionStore,
) -> None:
    directory = store.execution_directory(sample_record().arn)
    directory.mkdir(parents=True)
    (directory / ".execution.jsonl.123-abcd.tmp").write_bytes(b"half a rec")

    assert await store.list_executions() == []
    await store.create(sample_record())
    assert await store.load(sample_record().arn) == sample_record()


async def test_a_save_removes_what_writers_killed_mid_write_left_and_nothing_else(
    store: FileExecutionStore,
) -> None:
    record = sample_record()
    await store.create(record)
    directory = store.execution_directory(record.arn)
    # A real process that has exited (and was reaped), and one still running.
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    dead_pid = dead.pid
    alive = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    try:
        stale = directory / f".execution.jsonl.{dead_pid}-0bad.tmp"
        in_flight = directory / f".execution.jsonl.{alive.pid}-600d.tmp"
        unrelated = directory / "notes.tmp"
        for path in (stale, in_flight, unrelated):
            path.write_bytes(b"half a record")

        await store.save(sample_record(finished=True))

        assert not stale.exists()
        assert in_flight.exists()
        assert unrelated.exists()
        assert await store.load(record.arn) == sample_record(finished=True)
    finally:
        alive.kill()
        await alive.wait()


async def test_executions_that_start_together_list_in_creation_order(
    store: FileExecutionStore,
) -> None:
    for name in ["b", "c", "a"]:
        await store.create(sample_record(name))
    await store.save(sample_record("b", finished=True))

    names = [s.DurableExecutionName for s in await store.list_executions()]

    assert names == ["b", "c", "a"]


async def test_saves_apply_in_the_order_they_were_called(store: FileExecutionStore) -> None:
    await store.create(sample_record())
    variants = []
    for n in range(30):
        variant = sample_record()
        variant.invocation_count = n
        variant.input_payload = "x" * ((29 - n) * 50_000)  # the later, the smaller and faster
        variants.append(variant)

    await asyncio.gather(*(store.save(variant) for variant in variants))

    assert (await store.load(sample_record().arn)).invocation_count == 29


async def test_a_cancelled_save_finishes_before_the_next_one_starts(
    store: FileExecutionStore,
) -> None:
    await store.create(sample_record())
    big = sample_record()
    big.input_payload = "x" * 10_000_000
    small = sample_record(finished=True)

    first = asyncio.create_task(store.save(big))
    await asyncio.sleep(0.01)  # the big save is writing in its thread
    first.cancel()
    await store.save(small)

    with pytest.raises(asyncio.CancelledError):
        await first
    # Let every worker thread finish: had the big write gone on alone, it would land now.
    await asyncio.get_running_loop().shutdown_default_executor()
    _, body = store.record_path(small.arn).read_bytes().splitlines()
    assert ExecutionRecord.from_json(body.decode()) == small


async def test_file_io_does_not_block_the_event_loop(store: FileExecutionStore) -> None:
    record = sample_record()
    record.input_payload = "y" * 10_000_000
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await store.create(record)
    await store.load(record.arn)
    ticker.cancel()

    assert ticks >= 5


async def test_a_file_replaced_by_another_store_is_checked_again(tmp_path: Path) -> None:
    mine, theirs = FileExecutionStore(tmp_path), FileExecutionStore(tmp_path)
    await mine.create(sample_record())
    await theirs.save(sample_record(finished=True))
    path = mine.record_path(sample_record().arn)
    path.write_bytes(path.read_bytes()[:-5])

    with pytest.raises(CorruptExecutionError):
        await mine.save(sample_record())


async def test_a_directory_where_the_file_should_be_is_a_typed_error(
    store: FileExecutionStore,
) -> None:
    store.record_path(sample_record().arn).mkdir(parents=True)

    with pytest.raises(UnsafeFileError) as caught:
        await store.load(sample_record().arn)

    assert caught.value.path == store.record_path(sample_record().arn)
    assert caught.value.found == "a directory"
    assert caught.value.execution_arn == sample_record().arn
    assert "not a regular file" in str(caught.value)


async def test_tasks_of_one_process_take_turns_on_the_lock(store: FileExecutionStore) -> None:
    arn = sample_record().arn
    log: list[str] = []

    async def drive(name: str) -> None:
        for _ in range(5):
            async with store.lock(arn, wait=True):
                log.append(f"enter {name}")
                await asyncio.sleep(0.002)
                log.append(f"exit {name}")

    await asyncio.gather(drive("a"), drive("b"), drive("c"))

    assert len(log) == 30
    for enter, leave in zip(log[::2], log[1::2], strict=True):
        assert (enter.split()[0], leave.split()[0]) == ("enter", "exit")
        assert enter.split()[1] == leave.split()[1]


async def test_a_held_lock_refuses_or_times_out(store: FileExecutionStore) -> None:
    arn = sample_record().arn
    lock_file = store.execution_directory(arn) / "lock"

    async with store.lock(arn):
        assert lock_file.read_text() == f"{os.getpid()}\n"
        with pytest.raises(ExecutionLockedError) as caught:
            async with store.lock(arn):
                pass
        assert caught.value.execution_arn == arn
        assert caught.value.holder_pid == os.getpid()
        assert caught.value.lock_path == lock_file
        started = time.monotonic()
        with pytest.raises(ExecutionLockedError):
            async with FileExecutionStore(store.root).lock(arn, wait=0.2):
                pass
        assert time.monotonic() - started >= 0.2

    assert lock_file.read_text() == ""
    async with store.lock(arn, wait=False):
        pass


async def test_a_waiter_that_is_cancelled_leaves_the_lock_usable(
    store: FileExecutionStore,
) -> None:
    arn = sample_record().arn
    async with store.lock(arn):
        waiter = asyncio.create_task(store.lock(arn, wait=True).__aenter__())
        await asyncio.sleep(0.02)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    async with store.lock(arn, wait=0.5):
        pass


async def test_a_negative_wait_is_refused(store: FileExecutionStore) -> None:
    with pytest.raises(ValueError, match="wait must be"):
        async with store.lock(sample_record().arn, wait=-1):
            pass


async def test_status_changes_reach_the_list(store: FileExecutionStore) -> None:
    record: ExecutionRecord = sample_record()
    await store.create(record)
    record.status = ExecutionStatus.SUCCEEDED
    record.end_timestamp = START + timedelta(minutes=1)
    await store.save(record)

    [summary] = await store.list_executions()

    assert summary.Status is ExecutionStatus.SUCCEEDED
    assert summary.EndTimestamp == START + timedelta(minutes=1)
