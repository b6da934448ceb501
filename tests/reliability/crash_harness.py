"""Runs crash scenarios through the fork server in ``crash_runner.py`` and checks their outcome.

A scenario starts a workflow in a process told to SIGKILL itself at one point, resumes it in a
new process, and compares the end with an uninterrupted run: the same result, the same
operations (ids, types, names, statuses), no completed step run again, no at-most-once attempt
run twice.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.record import ExecutionRecord

__all__ = ["Baseline", "CrashPoint", "ForkServer", "Scenario", "load_only_record"]

RUNNER = Path(__file__).with_name("crash_runner.py")
AT_MOST_ONCE_STEPS = {"steps": {"c"}, "mapped": {"square-4"}}
"""The steps of each workflow that run at most once per attempt."""
VOLATILE_KEYS = {"totalDuration"}
"""Result fields that measure wall time and differ between any two runs."""

Signature = list[tuple[str, str, str | None, str | None, str]]


@dataclass(frozen=True)
class CrashPoint:
    """Where a process dies: ``kind`` is checkpoint-before/-after, save-before/-after or body."""

    kind: str
    number: int

    @property
    def env(self) -> dict[str, str]:
        """The variable that makes the crash runner die here."""
        if self.kind == "body":
            return {"RELIABILITY_KILL_BODY": str(self.number)}
        what, _, when = self.kind.partition("-")
        return {f"RELIABILITY_KILL_{what.upper()}_{when.upper()}": str(self.number)}


class ForkServer:
    """The crash runner process; ``run`` hands it one job and waits for the child's end."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=RUNNER.parent,
        )
        self._child = 0
        if self._readline() != "ready":
            raise RuntimeError("the crash runner did not start")

    def _readline(self) -> str:
        stdout: IO[bytes] | None = self._proc.stdout
        assert stdout is not None
        line = stdout.readline().decode().strip()
        if not line:
            raise RuntimeError(f"the crash runner ended (exit {self._proc.poll()})")
        return line

    def start(self, job: dict[str, Any]) -> int:
        """Hand the runner one job; return the pid of the child that runs it."""
        stdin = self._proc.stdin
        assert stdin is not None
        stdin.write(json.dumps(job).encode() + b"\n")
        stdin.flush()
        forked = self._readline().split()
        assert forked[0] == "forked"
        self._child = int(forked[1])
        return self._child

    def finish(self) -> tuple[int, int]:
        """Wait for the child of ``start``; return (killed by signal or 0, exit code)."""
        exited = self._readline().split()
        assert exited[:2] == ["exited", str(self._child)]
        return int(exited[2]), int(exited[3])

    def run(self, job: dict[str, Any]) -> tuple[int, int, int]:
        """Run one job; return (pid, killed by signal or 0, exit code)."""
        pid = self.start(job)
        return (pid, *self.finish())

    def close(self) -> None:
        """Close the runner's input; it exits when it reads the end."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def load_only_record(root: Path) -> ExecutionRecord:
    """The one execution stored under ``root``, read by a fresh store (nothing cached)."""

    async def load() -> ExecutionRecord:
        store = FileExecutionStore(root)
        (summary,) = await store.list_executions()
        return await store.load(summary.DurableExecutionArn)

    return asyncio.run(load())


def signature(record: ExecutionRecord) -> Signature:
    """Every operation's id, type, subtype, name and status, sorted (EXECUTION ids are random)."""
    return sorted(
        (
            "execution" if op.Type is OperationType.EXECUTION else op.Id,
            op.Type.value,
            op.SubType,
            op.Name,
            op.Status.value,
        )
        for op in record.operations.values()
    )


def normalised(result: str | None) -> Any:
    """The JSON result without the fields that measure wall time."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(result)) if result else None


def journal(path: Path) -> list[dict[str, Any]]:
    """The journal's lines (missing file: no body ran)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def succeeded_steps(record: ExecutionRecord) -> set[str]:
    """Names of the steps whose success is checkpointed."""
    return {
        op.Name or op.Id
        for op in record.operations.values()
        if op.Type is OperationType.STEP and op.Status is OperationStatus.SUCCEEDED
    }


@dataclass
class Baseline:
    """An uninterrupted run of a workflow, and what it measured."""

    result: Any
    signature: Signature
    checkpoint_calls: int
    saves: int
    body_runs: int


@dataclass
class Scenario:
    """Runs the crash scenarios of one workflow in a work directory."""

    server: ForkServer
    workflow: str
    work: Path
    mode: str = "BATCHED"
    tried: Counter[str] = field(default_factory=Counter)
    not_reached: int = 0
    _runs: int = 0

    def _job(self, mode: str, root: Path, journal_path: Path, env: dict[str, str]) -> Any:
        self._runs += 1
        out = self.work / f"out-{self._runs}.json"
        job = {
            "mode": mode,
            "workflow": self.workflow,
            "root": str(root),
            "out": str(out),
            "env": {
                "RELIABILITY_JOURNAL": str(journal_path),
                "RELIABILITY_CHECKPOINT_MODE": self.mode,
                **env,
            },
        }
        pid, killed_by, code = self.server.run(job)
        summary = json.loads(out.read_text()) if out.exists() else None
        return pid, killed_by, code, summary

    def baseline(self) -> Baseline:
        """Run the workflow once without a crash."""
        root, journal_path = self.work / "baseline", self.work / "baseline.journal"
        _, killed_by, code, summary = self._job("start", root, journal_path, {})
        assert (killed_by, code) == (0, 0), f"{self.workflow}: the uninterrupted run failed"
        assert summary["status"] == "SUCCEEDED", summary
        record = load_only_record(root)
        bodies = sum(1 for line in journal(journal_path) if line["phase"] == "enter")
        return Baseline(
            normalised(summary["result"]),
            signature(record),
            summary["checkpoint_calls"],
            summary["saves"],
            bodies,
        )

    def crash_and_resume(self, baseline: Baseline, points: list[CrashPoint]) -> None:
        """Kill a run at ``points`` (one per process, in order), resume it, check the end."""
        index = self._runs
        root, journal_path = self.work / f"store-{index}", self.work / f"journal-{index}"
        where = f"{self.workflow} killed at {points}"
        mode, completed = "start", set[str]()
        runs: list[tuple[int, set[str]]] = []  # each process, and the steps done before it ran
        for point in points:
            pid, killed_by, code, _ = self._job(mode, root, journal_path, point.env)
            runs.append((pid, completed))
            if killed_by != signal.SIGKILL:
                assert (killed_by, code) == (0, 0), f"{where}: exit {code}, signal {killed_by}"
                self.not_reached += 1
                return
            self.tried[point.kind] += 1
            completed = succeeded_steps(load_only_record(root))
            mode = "resume"
        pid, killed_by, code, summary = self._job("resume", root, journal_path, {})
        runs.append((pid, completed))
        assert (killed_by, code) == (0, 0), f"{where}: the resumed run died ({killed_by}, {code})"
        assert summary["status"] == "SUCCEEDED", f"{where}: {summary}"
        assert normalised(summary["result"]) == baseline.result, where
        found = signature(load_only_record(root))
        differ = set(found) ^ set(baseline.signature)
        assert found == baseline.signature, f"{where}: operations differ: {sorted(differ)}"
        self._check_journal(journal(journal_path), runs, where)

    def _check_journal(
        self, lines: list[dict[str, Any]], runs: list[tuple[int, set[str]]], where: str
    ) -> None:
        done_before = dict(runs)
        rerun = {
            line["step"]
            for line in lines
            if line["phase"] == "enter" and line["step"] in done_before.get(line["pid"], set())
        }
        assert not rerun, f"{where}: completed steps ran again after the resume: {rerun}"
        # The default guarantee: a step whose ``await`` returned to the user's code (journalled
        # ``returned``) is durable before the next side effect (another body) starts, so once a
        # body entered after it in the same process it must never run again.
        order = {pid: index for index, (pid, _) in enumerate(runs)}
        returned_by: dict[int, list[str]] = {}
        durable_from: dict[str, int] = {}  # step -> the first run in which it was durable
        for line in lines:
            pid = line["pid"]
            if line["phase"] == "returned":
                returned_by.setdefault(pid, []).append(line["step"])
            elif line["phase"] == "enter":
                for step in returned_by.pop(pid, []):
                    durable_from.setdefault(step, order[pid])
        again = {
            line["step"]
            for line in lines
            if line["phase"] == "enter"
            and line["step"] in durable_from
            and order[line["pid"]] > durable_from[line["step"]]
        }
        assert not again, f"{where}: steps that had returned ran again after the crash: {again}"
        at_most_once = AT_MOST_ONCE_STEPS.get(self.workflow, set())
        starts = Counter(
            (line["step"], line["attempt"])
            for line in lines
            if line["phase"] == "enter" and line["step"] in at_most_once
        )
        twice = [key for key, count in starts.items() if count > 1]
        assert not twice, f"{where}: at-most-once attempts ran twice: {twice}"
