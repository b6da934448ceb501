"""FileExecutionStore against real processes: SIGKILL mid-save, lock contention, OS errors.

Every child here is a real Python process working on real files; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fork_server import fork_server, read_line

from durable_lambda.adapters.file import ExecutionLockedError, FileExecutionStore
from durable_lambda.contract import sample_record
from durable_lambda.service.record import ExecutionRecord

HERE = Path(__file__).parent
ARN = sample_record("crash").arn


def crash_record(seq: int) -> ExecutionRecord:
    """The record a crash-test worker saves as number ``seq``: sizes vary, 0 to 400 kB."""
    record = sample_record("crash")
    record.invocation_count = seq
    record.input_payload = f"{seq}:" + "z" * ((seq * 7919) % 400 * 1000)
    return record


# The fork server's workers (tests/integration/fork_server.py) save crash_record(seq), seq + 1,
# ... and say "saved <seq>" after each save returns.
ZYGOTE = """
import asyncio, os, sys
sys.path.insert(0, sys.argv[1])
from test_file_store_crash import crash_record
from durable_lambda.adapters.file import FileExecutionStore

async def work(seq):
    store = FileExecutionStore(sys.argv[2])
    while True:
        await store.save(crash_record(seq))
        say(f"saved {seq}")
        seq += 1
"""


async def kill_saves_at_random(root: Path, kills: int, seed: int) -> None:
    store = FileExecutionStore(root)
    await store.create(crash_record(0))
    rng = random.Random(seed)
    stored, saves, landed_in_flight = 0, 0, 0
    async with fork_server(ZYGOTE, str(HERE), str(root)) as server:
        for _ in range(kills):
            reported = [stored, *await server.kill_a_worker(stored + 1, rng.uniform(0.005, 0.12))]
            record = await FileExecutionStore(root).load(ARN)  # a fresh store: nothing cached
            seq = record.invocation_count
            assert record == crash_record(seq), f"a torn record after a kill (seq {seq})"
            assert seq >= reported[-1], f"save {reported[-1]} was reported, but {seq} is stored"
            assert seq <= reported[-1] + 1, f"save {seq} is stored but was never started"
            saves += len(reported) - 1
            landed_in_flight += seq - reported[-1]
            stored = seq
        assert len(await store.list_executions()) == 1
    assert saves >= kills, f"only {saves} saves in {kills} rounds: the kills came too early"
    print(f"{kills} kills, {saves} saves reported, {landed_in_flight} in-flight saves landed")


async def test_a_killed_writer_leaves_the_last_complete_record(tmp_path: Path) -> None:
    await kill_saves_at_random(tmp_path, kills=30, seed=1)


@pytest.mark.slow
async def test_a_killed_writer_leaves_the_last_complete_record_many_times(tmp_path: Path) -> None:
    await kill_saves_at_random(tmp_path, kills=300, seed=2)


LOCKER = """
import asyncio, os, sys
from durable_lambda.adapters.file import FileExecutionStore

root, arn, log, mode = sys.argv[1:5]

def note(text):
    with open(log, "a") as file:
        file.write(f"{text} {os.getpid()}\\n")

async def main():
    store = FileExecutionStore(root)
    sys.stdin.readline()  # start together
    if mode == "hold":
        async with store.lock(arn):
            note("enter")
            os.write(1, b"held\\n")
            sys.stdin.readline()
            note("exit")
        return
    for _ in range(int(mode)):
        async with store.lock(arn, wait=True):
            note("enter")
            await asyncio.sleep(0.002)
            note("exit")
        await asyncio.sleep(0.001)

asyncio.run(main())
"""


@asynccontextmanager
async def locker(root: Path, log: Path, mode: str) -> AsyncIterator[asyncio.subprocess.Process]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(root), ARN, str(log), mode,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield child
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


def log_entries(log: Path) -> list[tuple[str, int]]:
    return [
        (word, int(pid)) for word, pid in (line.split() for line in log.read_text().splitlines())
    ]


async def test_two_processes_are_never_inside_the_lock_at_once(tmp_path: Path) -> None:
    log = tmp_path / "log"
    async with locker(tmp_path, log, "40") as one, locker(tmp_path, log, "40") as two:
        for child in (one, two):
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        assert await asyncio.wait_for(one.wait(), 30) == 0
        assert await asyncio.wait_for(two.wait(), 30) == 0

    entries = log_entries(log)
    assert len(entries) == 160
    for (enter, inside), (leave, same) in zip(entries[::2], entries[1::2], strict=True):
        assert (enter, leave) == ("enter", "exit"), "two processes were inside the lock at once"
        assert inside == same
    assert {pid for _, pid in entries} == {one.pid, two.pid}


async def test_a_second_process_waits_or_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    log = tmp_path / "log"
    async with locker(tmp_path, log, "hold") as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.write(b"go\n")
        await holder.stdin.drain()
        assert await read_line(holder.stdout) == "held"
        store = FileExecutionStore(tmp_path)

        with pytest.raises(ExecutionLockedError) as caught:
            async with store.lock(ARN):
                pass
        assert caught.value.holder_pid == holder.pid
        assert caught.value.execution_arn == ARN
        assert f"process {holder.pid}" in str(caught.value)
        started = time.monotonic()
        with pytest.raises(ExecutionLockedError):
            async with store.lock(ARN, wait=0.3):
                pass
        assert time.monotonic() - started >= 0.3

        async def wait_then_enter() -> None:
            async with store.lock(ARN, wait=True):
                with log.open("a") as file:
                    file.write(f"enter {os.getpid()}\n")

        waiter = asyncio.create_task(wait_then_enter())
        await asyncio.sleep(0.3)
        assert not waiter.done()
        holder.stdin.write(b"release\n")
        await holder.stdin.drain()
        await asyncio.wait_for(waiter, 10)

    assert log_entries(log) == [("enter", holder.pid), ("exit", holder.pid), ("enter", os.getpid())]


async def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    async with locker(tmp_path, tmp_path / "log", "hold") as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.write(b"go\n")
        await holder.stdin.drain()
        assert await read_line(holder.stdout) == "held"
        holder.send_signal(signal.SIGKILL)
        await holder.wait()

    lock_file = FileExecutionStore(tmp_path).execution_directory(ARN) / "lock"
    assert lock_file.read_text() == f"{holder.pid}\n"  # the dead holder's pid is still written
    async with FileExecutionStore(tmp_path).lock(ARN, wait=False):
        assert lock_file.read_text() == f"{os.getpid()}\n"


PERMISSIONS = """
import asyncio, json, os, sys
from durable_lambda.adapters.file import FileExecutionStore, StoragePermissionError
from durable_lambda.contract import sample_record

root, writable_arn, hidden_arn = sys.argv[1:4]
# Import what the run will need while we can still read the interpreter's own files.
asyncio.run(FileExecutionStore(root).load(writable_arn))
if os.geteuid() == 0:  # root may write anywhere: become nobody
    os.setgid(65534)
    os.setuid(65534)

async def attempt(action):
    try:
        await action
    except StoragePermissionError as error:
        cause = error.__cause__
        return {"path": str(error.path), "errno": error.errno, "message": str(error),
                "cause": type(cause).__name__, "cause_errno": getattr(cause, "errno", None)}
    return None

async def main():
    store = FileExecutionStore(root)
    bigger = sample_record("writable", finished=True)
    report = {
        "save": await attempt(store.save(bigger)),
        "create": await attempt(store.create(sample_record("new"))),
        "lock": await attempt(store.lock(writable_arn).__aenter__()),
        "load_hidden": await attempt(store.load(hidden_arn)),
        "load_readable": (await store.load(writable_arn)) == sample_record("writable"),
    }
    print(json.dumps(report))

asyncio.run(main())
"""


@contextmanager
def world_readable_directory() -> Iterator[Path]:
    """A directory another user can read (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


async def test_permission_errors_are_typed_and_change_nothing() -> None:
    with world_readable_directory() as root:
        store = FileExecutionStore(root)
        await store.create(sample_record("writable"))
        await store.create(sample_record("hidden"))
        writable = store.execution_directory(sample_record("writable").arn)
        hidden = store.execution_directory(sample_record("hidden").arn)
        before = (writable / "execution.jsonl").read_bytes()
        for directory in (store.root / "executions", writable):  # whatever the umask
            os.chmod(directory, 0o755)
        # The store makes its files private (0600); this one is opened to others on purpose,
        # to check that reading is allowed where writing is not.
        os.chmod(writable / "execution.jsonl", 0o644)
        if os.geteuid() != 0:  # the child runs as this user: take write permission away
            os.chmod(writable, 0o555)
            os.chmod(store.root / "executions", 0o555)
        os.chmod(hidden, 0o700 if os.geteuid() == 0 else 0o000)
        try:
            report = await run_child(
                PERMISSIONS, str(root), sample_record("writable").arn, sample_record("hidden").arn
            )
        finally:
            for directory in (writable, hidden, store.root / "executions"):
                os.chmod(directory, 0o755)

        for action in ("save", "create", "lock", "load_hidden"):
            assert report[action] is not None, f"{action} raised no StoragePermissionError"
            assert report[action]["errno"] == errno.EACCES
            assert report[action]["cause"] == "PermissionError"
            assert report[action]["path"] in report[action]["message"]
        assert report["save"]["path"] == str(writable / "execution.jsonl")
        assert report["lock"]["path"] == str(writable / "lock")
        assert report["load_hidden"]["path"] == str(hidden / "execution.jsonl")
        assert report["load_readable"] is True
        assert (writable / "execution.jsonl").read_bytes() == before
        assert sorted(p.name for p in writable.iterdir()) == ["execution.jsonl"]


FILE_SIZE_LIMIT = """
import asyncio, json, resource, signal, sys
from durable_lambda.adapters.file import FileExecutionStore, StorageFullError
from durable_lambda.contract import sample_record

root = sys.argv[1]
# Past this size a write fails with EFBIG, as on a full disk; ignoring SIGXFSZ turns the
# signal that would kill the process into that error.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

async def attempt(action):
    try:
        await action
    except StorageFullError as error:
        return {"path": str(error.path), "errno": error.errno, "message": str(error),
                "cause_errno": getattr(error.__cause__, "errno", None)}
    return None

async def main():
    store = FileExecutionStore(root)
    big = sample_record("small")
    big.input_payload = "b" * 1_000_000
    fresh = sample_record("fresh")
    fresh.input_payload = "f" * 1_000_000
    report = {
        "save": await attempt(store.save(big)),
        "create": await attempt(store.create(fresh)),
        "intact": (await store.load(big.arn)) == sample_record("small"),
        "listed": [s.DurableExecutionName for s in await store.list_executions()],
    }
    print(json.dumps(report))

asyncio.run(main())
"""


async def test_a_full_disk_is_a_typed_error_and_keeps_the_previous_record(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path)
    await store.create(sample_record("small"))
    path = store.record_path(sample_record("small").arn)
    before = path.read_bytes()

    report = await run_child(FILE_SIZE_LIMIT, str(tmp_path))

    for action in ("save", "create"):
        assert report[action] is not None, f"{action} raised no StorageFullError"
        assert report[action]["errno"] == errno.EFBIG
        assert report[action]["cause_errno"] == errno.EFBIG
        assert "no room to" in report[action]["message"]
    assert report["save"]["path"] == str(path)
    assert report["intact"] is True
    assert report["listed"] == ["small"]
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name != "execution.jsonl"]
    assert not list(store.execution_directory(sample_record("fresh").arn).iterdir())


async def run_child(code: str, *args: str) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    report: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return report
