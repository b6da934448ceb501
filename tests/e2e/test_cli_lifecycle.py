"""The command line for an execution's whole life, as a user types it: real subprocesses.

``run --skip-time`` (waits and retries end at once, a callback's time-out still runs in real
time), ``resume --until suspended`` on an execution that waits for a callback, ``stop`` (also of
an execution another process drives), ``delete`` and ``prune --older-than``, the short callback
handle the commands print (the printed command is run as pasted, through ``bash -c``), and what
``callback`` and ``status`` say about the store they looked in and the process that drives an
execution.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]
_HANG_GUARD = 60.0  # seconds: only so that a hang fails the test instead of stalling the suite

APPROVAL = """
    from durable_lambda import (
        CallbackConfig, DurableContext, Duration, PlainJsonSerDes, WaitForCallbackConfig,
        durable_execution,
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.wait(Duration.from_days(1), name="overnight")
        decision = await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="approval",
            config=WaitForCallbackConfig(
                serdes=PlainJsonSerDes(), timeout=Duration.from_hours(1)
            ),
        )
        return {"decision": decision}
"""

RETRIES = """
    from durable_lambda import (
        DurableContext, Duration, JitterStrategy, RetryStrategyConfig, StepConfig,
        create_retry_strategy, durable_execution,
    )

    ATTEMPTS = []

    def flaky(step):
        if step.attempt < 3:
            raise RuntimeError(f"attempt {step.attempt} failed")
        return "third time lucky"

    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_hours(6),
            max_delay=Duration.from_days(1),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.step(flaky, name="flaky", config=StepConfig(retry_strategy=retry))
"""

QUICK = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.step(lambda s: event.get("n", 0) + 1, name="add")
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    # The console script, as a pasted command finds it.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def cli(folder: Path, *args: str, timeout: float = _HANG_GUARD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("durable-lambda: error: "), lines[0]
    return lines[0]


def executions(folder: Path, *store: str) -> dict[str, dict[str, Any]]:
    listed = json.loads(ok(cli(folder, "list", "--json", *store)).stdout)
    return {entry["DurableExecutionName"]: entry for entry in listed}


def printed_answer(stderr: str) -> str:
    """The `durable-lambda callback succeed ...` command a run or status printed, as a line."""
    return next(line.strip() for line in stderr.splitlines() if "callback succeed" in line)


@contextmanager
def running(folder: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """A ``durable-lambda`` process in the background, killed if the test leaves it running."""
    process = subprocess.Popen(
        [*CLI, *args],
        cwd=folder,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=_HANG_GUARD)


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    """Read the process's stderr until a line holds ``marker``; return what was read."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + _HANG_GUARD
    while marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} in:\n{seen}"
        line = process.stderr.readline()
        assert line, f"the process ended before {marker!r}:\n{seen}"
        seen += line
    return seen


def readme_first_function() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A first durable function\n") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found
    return found.group(1)


# -- run --skip-time ----------------------------------------------------------------------


def test_skip_time_finishes_the_readmes_three_day_wait_at_once(tmp_path: Path) -> None:
    source = readme_first_function()
    assert "Duration.from_days(3)" in source
    write(tmp_path, "order.py", source)

    done = ok(cli(tmp_path, "run", "order.py:handler", "--input", '{"orderId": "o-1"}',
                  "--name", "o-1", "--skip-time"))  # fmt: skip

    assert json.loads(done.stdout) == {"charged": 42}
    tree = ok(cli(tmp_path, "history", "o-1")).stdout
    # The wait lasted its three days on the execution's clock.
    assert re.search(r"cool-off  WAIT/Wait  SUCCEEDED  3d 00h", tree), tree


def test_without_skip_time_the_same_run_waits_its_three_days(tmp_path: Path) -> None:
    write(tmp_path, "order.py", readme_first_function())

    first = ok(cli(tmp_path, "run", "order.py:handler", "--input", '{"orderId": "o-1"}',
                   "--name", "o-1", "--until", "suspended"))  # fmt: skip

    assert "waiting on next timer in 2d 23h" in first.stderr or "in 3d 00h" in first.stderr
    # resume --skip-time takes it from there.
    resumed = ok(cli(tmp_path, "resume", "o-1", "--skip-time"))
    assert json.loads(resumed.stdout) == {"charged": 42}


def test_skip_time_skips_step_retries(tmp_path: Path) -> None:
    write(tmp_path, "retries.py", RETRIES)

    done = ok(cli(tmp_path, "run", "retries.py:handler", "--name", "r", "--skip-time"))

    assert json.loads(done.stdout) == "third time lucky"
    assert re.search(
        r"flaky  STEP/Step  SUCCEEDED  attempts 3", ok(cli(tmp_path, "history", "r")).stdout
    )


def test_skip_time_leaves_a_callback_time_for_its_answer_pasted_from_another_terminal(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    store = tmp_path / "a store's folder"  # a space and a quote for the printed command

    with running(tmp_path, "run", "approval.py:handler", "--name", "a-1", "--skip-time",
                 "--store", str(store)) as process:  # fmt: skip
        seen = read_until(process, "callback succeed")
        command = printed_answer(seen)
        # Short (a handle, not the 300-character id), and it runs as pasted.
        handle = shlex.split(command)[3]
        assert re.fullmatch(r"[0-9a-f]{8}", handle)
        assert command == (
            f"durable-lambda callback succeed {handle} --payload '{{}}' "
            f"--store {shlex.quote(str(store))}"
        )
        pasted = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=_HANG_GUARD,
            check=False,
        )
        assert pasted.returncode == 0, pasted.stderr
        stdout, stderr = process.communicate(timeout=_HANG_GUARD)

    assert process.returncode == 0, stderr
    assert json.loads(stdout) == {"decision": {}}  # the pasted '{}', the overnight wait skipped
    assert f"process {process.pid}, which drives a-1, picks it up" in pasted.stderr


HEARTBEATS = """
    from durable_lambda import (
        DurableContext, Duration, PlainJsonSerDes, WaitForCallbackConfig, durable_execution,
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.wait(Duration.from_days(2), name="weekend")
        return await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="review",
            config=WaitForCallbackConfig(
                serdes=PlainJsonSerDes(), heartbeat_timeout=Duration.from_hours(1)
            ),
        )
"""


def test_answers_and_heartbeats_from_another_terminal_keep_to_a_skipped_executions_time(
    tmp_path: Path,
) -> None:
    write(tmp_path, "review.py", HEARTBEATS)

    with running(tmp_path, "run", "review.py:handler", "--name", "rv", "--skip-time") as process:
        command = shlex.split(printed_answer(read_until(process, "callback succeed")))
        handle = command[3]
        # Two days ahead of the wall clock: a heartbeat's new time-out is an hour after the
        # execution's now, not an hour after the wall clock's (long past, for the execution).
        ok(cli(tmp_path, "callback", "heartbeat", handle))
        ok(cli(tmp_path, "callback", "heartbeat", handle))
        ok(cli(tmp_path, "callback", "succeed", handle, "--payload", '"looks good"'))
        stdout, stderr = process.communicate(timeout=_HANG_GUARD)

    assert process.returncode == 0, stderr
    assert json.loads(stdout) == "looks good"
    events = json.loads(ok(cli(tmp_path, "history", "rv", "--json")).stdout)["events"]
    stamps = [event["EventTimestamp"] for event in events]
    assert stamps == sorted(stamps)  # the answer came after the skipped weekend, not before


# -- resume --until suspended -------------------------------------------------------------


def test_resume_until_suspended_returns_when_the_execution_waits_on_a_callback(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    ok(cli(tmp_path, "run", "approval.py:handler", "--name", "a-2", "--skip-time",
           "--until", "suspended"))  # fmt: skip
    ok(cli(tmp_path, "resume", "a-2", "--skip-time", "--until", "suspended"))  # past the wait

    again = ok(cli(tmp_path, "resume", "a-2", "--until", "suspended"))  # hung before

    assert "a-2 is suspended (still RUNNING)" in again.stderr
    answered = ok(cli(tmp_path, "resume", "a-2", "--until", "suspended",
                      "--answer", 'approval={"ok": true}'))  # fmt: skip
    assert json.loads(answered.stdout) == {"decision": {"ok": True}}


# -- stop -----------------------------------------------------------------------------------


def test_stop_ends_a_waiting_execution_stopped_and_its_callback_can_no_longer_be_answered(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    started = ok(cli(tmp_path, "run", "approval.py:handler", "--name", "s-1", "--skip-time",
                     "--until", "suspended"))  # fmt: skip
    started = ok(cli(tmp_path, "resume", "s-1", "--skip-time", "--until", "suspended"))

    stopped = ok(cli(tmp_path, "stop", "s-1", "--error-type", "Cancelled",
                     "--error-message", "order withdrawn", "--error-data", "ticket 7"))  # fmt: skip

    assert "s-1 STOPPED" in stopped.stderr
    assert executions(tmp_path)["s-1"]["Status"] == "STOPPED"
    described = json.loads(ok(cli(tmp_path, "status", "s-1", "--json")).stdout)
    assert described["Error"] == {
        "ErrorType": "Cancelled",
        "ErrorMessage": "order withdrawn",
        "ErrorData": "ticket 7",
    }
    events = json.loads(ok(cli(tmp_path, "history", "s-1", "--json")).stdout)["events"]
    assert events[-1]["EventType"] == "ExecutionStopped"
    late = cli(tmp_path, *shlex.split(printed_answer(started.stderr))[1:])
    assert "STOPPED" in error_line(late)
    # Stopped already: nothing to do. Ended otherwise: nothing to stop.
    assert "was stopped already" in ok(cli(tmp_path, "stop", "s-1")).stderr
    write(tmp_path, "quick.py", QUICK)
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "q-1"))
    assert "q-1 has already ended (SUCCEEDED)" in error_line(cli(tmp_path, "stop", "q-1"))


def test_stop_ends_an_execution_another_process_drives_and_that_process_with_it(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)

    with running(tmp_path, "run", "approval.py:handler", "--name", "s-2",
                 "--skip-time") as process:  # fmt: skip
        read_until(process, "callback succeed")
        stopped = ok(cli(tmp_path, "stop", "s-2"))
        _, stderr = process.communicate(timeout=_HANG_GUARD)

    assert f"s-2 STOPPED; process {process.pid}, which was driving it, ends with it" in (
        stopped.stderr
    )
    assert process.returncode == 1
    assert "s-2 STOPPED: Error: Execution stopped by user request" in stderr
    assert executions(tmp_path)["s-2"]["Status"] == "STOPPED"


# -- delete and prune -------------------------------------------------------------------------


def test_delete_removes_ended_executions_only_unless_forced(tmp_path: Path) -> None:
    write(tmp_path, "quick.py", QUICK)
    write(tmp_path, "approval.py", APPROVAL)
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "d-1"))
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "d-2"))
    ok(cli(tmp_path, "run", "approval.py:handler", "--name", "w-1", "--until", "suspended"))

    deleted = ok(cli(tmp_path, "delete", "d-1", "d-2"))

    assert [line.split()[:3] for line in deleted.stdout.splitlines()] == [
        ["deleted", "d-1", "SUCCEEDED"],
        ["deleted", "d-2", "SUCCEEDED"],
    ]
    assert list(executions(tmp_path)) == ["w-1"]
    refused = error_line(cli(tmp_path, "delete", "w-1"))
    assert "w-1 is still RUNNING: only an execution that has ended is deleted" in refused
    assert "durable-lambda stop w-1" in refused
    assert "no execution matches 'd-1'" in error_line(cli(tmp_path, "delete", "d-1"))

    forced = ok(cli(tmp_path, "delete", "w-1", "--force"))
    assert forced.stdout.startswith("deleted w-1  RUNNING  running")
    assert executions(tmp_path) == {}
    assert list((tmp_path / ".durable" / "executions").iterdir()) == []


def test_nothing_is_deleted_while_another_process_drives_it_even_with_force(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)

    with running(tmp_path, "run", "approval.py:handler", "--name", "busy",
                 "--skip-time") as process:  # fmt: skip
        read_until(process, "callback succeed")
        refused = error_line(cli(tmp_path, "delete", "busy", "--force"))
        pruned = ok(cli(tmp_path, "prune", "--older-than", "0", "--force"))
        assert executions(tmp_path)["busy"]["Status"] == "RUNNING"
        process.kill()

    assert f"busy is being driven by process {process.pid}: it is not deleted" in refused
    assert pruned.stdout == ""
    assert f"skipped: busy is being driven by process {process.pid}" in pruned.stderr


def test_prune_deletes_what_ended_long_enough_ago(tmp_path: Path) -> None:
    write(tmp_path, "quick.py", QUICK)
    write(tmp_path, "approval.py", APPROVAL)
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "old-1"))
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "old-2"))
    ok(cli(tmp_path, "run", "approval.py:handler", "--name", "live", "--until", "suspended"))

    young = ok(cli(tmp_path, "prune", "--older-than", "1d"))
    assert young.stdout == ""
    assert "nothing to prune: no execution in the store" in young.stderr
    assert "ended 1d or more ago" in young.stderr

    dry = ok(cli(tmp_path, "prune", "--older-than", "0s", "--dry-run"))
    assert [line.split()[:3] for line in dry.stdout.splitlines()] == [
        ["would", "delete", "old-1"],
        ["would", "delete", "old-2"],
    ]
    assert "nothing was deleted" in dry.stderr
    assert len(executions(tmp_path)) == 3

    pruned = ok(cli(tmp_path, "prune", "--older-than", "0s"))
    assert [line.split()[:2] for line in pruned.stdout.splitlines()] == [
        ["deleted", "old-1"],
        ["deleted", "old-2"],
    ]
    assert list(executions(tmp_path)) == ["live"]

    forced = ok(cli(tmp_path, "prune", "--older-than", "0s", "--force"))
    assert forced.stdout.startswith("deleted live  RUNNING")
    assert executions(tmp_path) == {}


def test_stop_delete_and_prune_work_on_the_store_named_by_store(tmp_path: Path) -> None:
    write(tmp_path, "quick.py", QUICK)
    write(tmp_path, "approval.py", APPROVAL)
    store = ("--store", str(tmp_path / "elsewhere"))
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "e-1", *store))
    ok(cli(tmp_path, "run", "quick.py:handler", "--name", "e-2", *store))
    ok(cli(tmp_path, "run", "approval.py:handler", "--name", "e-3", "--until", "suspended", *store))

    assert "e-3 STOPPED" in ok(cli(tmp_path, "stop", "e-3", *store)).stderr
    assert ok(cli(tmp_path, "delete", "e-1", *store)).stdout.startswith("deleted e-1  SUCCEEDED")
    pruned = ok(cli(tmp_path, "prune", "--older-than", "0", *store))

    assert [line.split()[1] for line in pruned.stdout.splitlines()] == ["e-2", "e-3"]
    assert f"deleted 2 from the store {tmp_path / 'elsewhere'}" in pruned.stderr
    assert executions(tmp_path, *store) == {}
    assert not (tmp_path / ".durable").exists()


@pytest.mark.parametrize("age", ["3 days", "7", "1.5d", "-1d"])
def test_prune_refuses_an_age_it_cannot_read(tmp_path: Path, age: str) -> None:
    line = error_line(cli(tmp_path, "prune", "--older-than", age), code=2)

    assert "--older-than must be a span of time like 7d, 12h, 30m, 90s or 1d12h" in line


def test_a_store_that_cannot_delete_says_so(tmp_path: Path) -> None:
    write(
        tmp_path,
        "plain_store.py",
        """
        class PlainStore:  # the four calls of every store, and no delete
            def __init__(self):
                self.records = {}
            async def create(self, record):
                self.records[record.arn] = record
            async def load(self, arn):
                return self.records[arn]
            async def save(self, record):
                self.records[record.arn] = record
            async def list_executions(self):
                return [r.summary() for r in self.records.values()]

        def make(where):
            return PlainStore()
        """,
    )

    line = error_line(cli(tmp_path, "--store-factory", "plain_store.py:make", "prune",
                          "--older-than", "0"), code=2)  # fmt: skip

    assert "(a PlainStore) cannot delete executions: it has no delete(arn)" in line


# -- callback handles, the store looked in, who drives --------------------------------------


def test_a_callback_is_answered_by_a_prefix_of_its_handle_and_by_its_full_id(
    tmp_path: Path,
) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    ok(cli(tmp_path, "run", "approval.py:handler", "--name", "h-1", "--skip-time",
           "--until", "suspended"))  # fmt: skip
    waiting = ok(cli(tmp_path, "resume", "h-1", "--skip-time", "--until", "suspended"))
    handle = shlex.split(printed_answer(waiting.stderr))[3]

    status = ok(cli(tmp_path, "status", "h-1")).stdout
    assert f"callback 'approval' ({handle}) waits for an answer" in status
    assert f"durable-lambda callback succeed {handle} --payload '{{}}'" in status
    ok(cli(tmp_path, "callback", "heartbeat", handle[:4]))
    ok(cli(tmp_path, "callback", "succeed", handle[:5], "--payload", '"yes"'))
    assert json.loads(ok(cli(tmp_path, "resume", "h-1")).stdout) == {"decision": "yes"}

    history = json.loads(ok(cli(tmp_path, "history", "h-1", "--json")).stdout)
    (full,) = [
        op["CallbackDetails"]["CallbackId"]
        for op in history["operations"]
        if op["Type"] == "CALLBACK"
    ]
    assert len(full) > 200
    closed = error_line(cli(tmp_path, "callback", "succeed", full))  # the full id works too
    assert "SUCCEEDED" in closed
    assert "SUCCEEDED" in error_line(cli(tmp_path, "callback", "fail", handle))
    assert "no callback in the store" in error_line(cli(tmp_path, "callback", "succeed", "ffff0"))


def test_a_callback_answered_from_another_folder_names_the_store_and_creates_nothing(
    tmp_path: Path,
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    write(project, "approval.py", APPROVAL)
    ok(cli(project, "run", "approval.py:handler", "--name", "far", "--skip-time",
           "--until", "suspended"))  # fmt: skip
    waiting = ok(cli(project, "resume", "far", "--skip-time", "--until", "suspended"))
    command = shlex.split(printed_answer(waiting.stderr))
    history = json.loads(ok(cli(project, "history", "far", "--json")).stdout)
    (full,) = [
        op["CallbackDetails"]["CallbackId"]
        for op in history["operations"]
        if op["Type"] == "CALLBACK"
    ]

    by_id = error_line(cli(elsewhere, "callback", "succeed", full))
    by_handle = error_line(cli(elsewhere, *command[1:]))

    store = elsewhere / ".durable"
    assert f"no callback has this id in the store {store}" in by_id
    assert "name that store with --store" in by_id
    assert f"no callback in the store {store} has the handle {command[3]!r}" in by_handle
    assert list(elsewhere.iterdir()) == []  # no .durable/ made there
    ok(cli(elsewhere, *command[1:], "--store", str(project / ".durable")))


def test_status_says_which_process_drives_a_running_execution(tmp_path: Path) -> None:
    write(tmp_path, "approval.py", APPROVAL)

    with running(tmp_path, "run", "approval.py:handler", "--name", "driven",
                 "--skip-time") as process:  # fmt: skip
        read_until(process, "callback succeed")
        driven = ok(cli(tmp_path, "status", "driven")).stdout
        process.kill()

    assert f"process {process.pid} drives it" in driven
    assert "continue it with" not in driven
    # Once nobody drives it, status says how to continue it.
    assert (
        "continue it with: durable-lambda resume driven"
        in ok(cli(tmp_path, "status", "driven")).stdout
    )


# -- the README's list of commands ----------------------------------------------------------


def test_the_readmes_running_it_locally_list_names_real_commands_and_options() -> None:
    import click

    from durable_lambda.app.cli.app import cli as group

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Running it locally\n") :]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    verbs = []
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "durable-lambda", line
        command: click.Command = group
        for word in words[1:]:
            if isinstance(command, click.Group) and word in command.commands:
                command = command.commands[word]
        assert command is not group, line
        verbs.append(command.name)
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        unknown = [word for word in words if word.startswith("--") and word not in known]
        assert not unknown, f"{line}: {unknown}"
    assert {"run", "succeed", "stop", "delete", "prune", "resume", "status"} <= set(verbs)
    assert "--skip-time" in readme
