"""Whole executions on the file store: kill -9 at random moments, rival drivers, full and
read-only disks.

* A 200-step workflow runs through the orchestrator in a child process that the test SIGKILLs
  after a random delay, again and again, resuming each time. After every kill a fresh store
  reads the record back: it must load (no torn or corrupt file) and hold every step whose
  success a checkpoint call had acknowledged before the kill (none lost). In the end each of
  the 200 steps exists once, SUCCEEDED, and the result is right.
* Two processes resuming one execution at once are serialised by its run lock: every step body
  runs once, in one of them; the command line refuses to drive an execution whose lock is held.
* A disk that fills up mid-execution, and a store the user may not write, are reported as one
  clear line by the command, and change nothing already stored; the execution then resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from crash_harness import ForkServer, journal, load_only_record
from workflows import WORKFLOWS

from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.record import ExecutionStatus

STEPS = 200
KILLS = 24


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    runner = ForkServer()
    try:
        yield runner
    finally:
        runner.close()


def job(mode: str, root: Path, out: Path, **env: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "workflow": "many_steps",
        "root": str(root),
        "out": str(out),
        "env": {"RELIABILITY_CHECKPOINT_MODE": "EAGER", **env},
    }


def assert_complete(root: Path) -> None:
    record = load_only_record(root)
    assert record.status is ExecutionStatus.SUCCEEDED
    assert json.loads(record.result or "null") == {"total": sum(range(STEPS))}
    steps = [op for op in record.operations.values() if op.Type is OperationType.STEP]
    assert len(steps) == STEPS
    assert len({op.Id for op in steps}) == STEPS, "two steps share an operation id"
    assert sorted(op.Name or "" for op in steps) == sorted(f"step-{i}" for i in range(STEPS))
    assert {op.Status for op in steps} == {OperationStatus.SUCCEEDED}


def test_kill_9_at_random_moments_loses_no_acknowledged_checkpoint(
    server: ForkServer, tmp_path: Path, figures: Callable[[str, Any], None]
) -> None:
    rng = random.Random(20261122)
    kills, executions, landed = 0, 0, Counter[str]()
    started = time.monotonic()
    while kills < KILLS:
        executions += 1
        root, acks = tmp_path / f"store-{executions}", tmp_path / f"acks-{executions}"
        mode = "start"
        while True:
            pid = server.start(
                job(mode, root, tmp_path / "out.json", RELIABILITY_ACK_LOG=str(acks))
            )
            time.sleep(rng.uniform(0.0, 0.7))
            with contextlib.suppress(ProcessLookupError):  # it may have finished already
                os.kill(pid, signal.SIGKILL)
            killed_by, code = server.finish()
            if killed_by == 0:
                assert code == 0, "the run failed on its own"
                landed["finished before the kill"] += 1
                break
            kills += 1
            acknowledged = set(acks.read_text().split()) if acks.exists() else set()
            if not any(root.glob("executions/*/execution.jsonl")):
                # Killed before the execution was created (a loaded machine is slow to get
                # there): nothing can have been acknowledged; start it again.
                assert acknowledged == set(), "checkpoints acknowledged by no stored execution"
                landed["killed before the start"] += 1
                continue
            record = load_only_record(root)  # a torn or corrupt file raises here
            done = {
                op.Id
                for op in record.operations.values()
                if op.Type is OperationType.STEP and op.Status is OperationStatus.SUCCEEDED
            }
            assert acknowledged <= done, f"acknowledged checkpoints lost: {acknowledged - done}"
            landed["steps stored, not yet acknowledged"] += len(done - acknowledged)
            mode = "resume"
            if kills >= KILLS:
                _, killed_by, code = server.run(job(mode, root, tmp_path / "out.json"))
                assert (killed_by, code) == (0, 0)
                break
        assert_complete(root)
        # Writes cut short by the kills leave temporary files; the runs after them sweep those.
        leftovers = [p.name for p in root.rglob("*.tmp")]
        assert leftovers == [], "temporary files of killed writers survived the resumed run"
    elapsed = time.monotonic() - started
    figures(
        "kill -9 during 200-step executions",
        {"kills": kills, "executions": executions, **landed, "seconds": round(elapsed, 1)},
    )


def test_two_drivers_resuming_one_execution_run_each_step_once(tmp_path: Path) -> None:
    root, journal_path = tmp_path / "store", tmp_path / "journal"
    first, second = ForkServer(), ForkServer()
    try:
        env = {"RELIABILITY_JOURNAL": str(journal_path)}
        # Leave the execution half done: the first run dies in its 80th step body.
        _, killed_by, _ = first.run(
            job("start", root, tmp_path / "0.json", RELIABILITY_KILL_BODY="80", **env)
        )
        assert killed_by == signal.SIGKILL
        runs = [
            (server, server.start(job("resume", root, tmp_path / f"{n}.json", **env)))
            for n, server in enumerate((first, second), start=1)
        ]
        outcomes = [server.finish() for server, _ in runs]
    finally:
        first.close()
        second.close()
    assert outcomes == [(0, 0), (0, 0)]
    assert_complete(root)
    resumed = {pid for _, pid in runs}
    entered = Counter(
        line["step"]
        for line in journal(journal_path)
        if line["phase"] == "enter" and line["pid"] in resumed
    )
    assert set(entered) == {f"step-{i}" for i in range(79, STEPS)}, "steps missing or rerun"
    assert set(entered.values()) == {1}, "a step ran in both drivers"
    drivers = {line["pid"] for line in journal(journal_path) if line["pid"] in resumed}
    assert len(drivers) == 1, "both drivers ran steps of the same execution"


def command(root: Path, *argv: str, **popen: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "durable_lambda.app.cli", *argv, "--store", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=root.parent,
        **popen,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed command (progress lines may come before it)."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("durable-lambda: ")]
    assert len(errors) == 1, done.stderr
    assert lines[-1] == errors[0], done.stderr
    return errors[0]


def half_done(root: Path) -> str:
    """Start ``many_steps`` in a process that dies in its second step; return the ARN."""
    server = ForkServer()
    try:
        _, killed_by, _ = server.run(
            job("start", root, root.parent / "half.json", RELIABILITY_KILL_BODY="2")
        )
    finally:
        server.close()
    assert killed_by == signal.SIGKILL
    return load_only_record(root).arn


def test_the_command_refuses_an_execution_whose_lock_is_held(tmp_path: Path) -> None:
    root = tmp_path / "store"
    arn = half_done(root)
    store = FileExecutionStore(root)
    path = store.record_path(arn)
    before = path.read_bytes()

    async def resume_while_locked() -> subprocess.CompletedProcess[str]:
        async with store.lock(arn):
            return await asyncio.to_thread(command, root, "resume")

    line = one_line(asyncio.run(resume_while_locked()))
    assert f"process {os.getpid()}" in line, line
    assert path.read_bytes() == before, "a refused driver changed the record"
    assert command(root, "resume", "--all").returncode == 0  # the lock is free again
    assert_complete(root)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def limit_in_child() -> None:
        # Past the limit a write fails with EFBIG, as on a full disk (the signal is ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])
        )

    return limit_in_child


def test_a_disk_full_mid_execution_is_one_clear_line_and_resume_finishes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    spec = WORKFLOWS["many_steps"]
    done = command(
        root, "run", spec, "--input", '{"steps": 200}', preexec_fn=_limit_file_size(60_000)
    )
    line = one_line(done)
    assert "no room to write" in line, line
    assert "execution.jsonl" in line, line
    record = load_only_record(root)  # the last record that fitted, intact
    assert record.status is ExecutionStatus.RUNNING
    stored = sum(1 for op in record.operations.values() if op.Type is OperationType.STEP)
    assert 0 < stored < STEPS
    resumed = command(root, "resume", "--all")
    assert resumed.returncode == 0, resumed.stderr
    assert_complete(root)


@contextmanager
def world_readable_directory() -> Iterator[Path]:
    """A directory another user can read (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


# Imports everything the command needs, then becomes nobody (if root) and runs it: the
# interpreter itself may live where nobody may not read.
AS_NOBODY = """
import os, sys
from durable_lambda.app.cli.app import run_cli
from durable_lambda.app.loading import load_handler
import durable_lambda.app.orchestrator, durable_lambda.adapters.file
load_handler(sys.argv[1])
run_cli(["list", "--store", sys.argv[2]])
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
sys.exit(run_cli(sys.argv[3:]))
"""


def test_a_store_the_user_may_not_write_is_one_clear_line() -> None:
    with world_readable_directory() as parent:
        root = parent / "store"
        arn = half_done(root)
        directory = FileExecutionStore(root).execution_directory(arn)
        path = directory / "execution.jsonl"
        before = path.read_bytes()
        writable = [root, root / "executions", directory, *directory.iterdir()]
        modes = {item: item.stat().st_mode & 0o777 for item in writable}
        for item in writable:
            os.chmod(item, 0o555 if item.is_dir() else 0o444)
        try:
            done = subprocess.run(
                [
                    *(sys.executable, "-c", AS_NOBODY, WORKFLOWS["many_steps"], str(root)),
                    *("resume", "--store", str(root)),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            for item, mode in modes.items():
                os.chmod(item, mode)
        line = one_line(done)
        assert "not allowed to" in line, line
        assert str(directory) in line, line
        assert path.read_bytes() == before
