"""A rejected input changes nothing stored, and the command line turns junk into one line.

An execution on the file store waits for a callback. Hypothesis then throws junk at everything
that can reach it from outside: callback answers, failures and heartbeats for junk callback ids,
checkpoints with junk tokens, junk invocation events, and ``durable-lambda callback`` command
lines. Every one must be refused with a typed error (or, for the command, one line on stderr and
a non-zero exit), and the execution's file must be byte-identical afterwards. The execution then
still finishes with the right result.

A second property feeds random command lines to ``durable-lambda``: whatever they are, the
command never shows a traceback, and a failure is exactly one line on stderr.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflows import ANSWERS, FUNCTIONS, WORKFLOWS

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.app.loading import load_handler
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.core.model import ErrorObject
from durable_lambda.service.record import ExecutionStatus

DRIVER = Path(__file__).with_name("cli_driver.py")
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=not os.environ.get("RELIABILITY_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TRIED: Counter[str] = Counter()
junk_text = st.text(max_size=40) | st.sampled_from(["", " ", "null", "{}", "a:b", "../../x"])


class CommandLine:
    """``cli_driver.py`` in a subprocess: ``run`` one command line, get its outcome."""

    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "DURABLE_LAMBDA_STORE": str(cwd / "store")}
        env.pop("DURABLE_LAMBDA_DEBUG", None)
        self._proc = subprocess.Popen(
            [sys.executable, str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            text=True,
        )

    def run(self, argv: list[str]) -> dict[str, Any]:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(argv) + "\n")
        self._proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._proc.stdout.readline())
        return answer

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def assert_one_line_failure(argv: list[str], outcome: dict[str, Any]) -> None:
    code, err = outcome["code"], outcome["err"]
    assert isinstance(code, int), f"{argv}: {code}"
    assert "Traceback" not in err + outcome["out"], f"{argv} showed a traceback:\n{err}"
    if code != 0:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"{argv} exit {code}: stderr is not one line:\n{err}"
        assert lines[0].startswith("durable-lambda: "), f"{argv}: {lines[0]}"


@dataclass
class Waiting:
    """An execution suspended on its "approve" callback, and its file's bytes."""

    root: Path
    arn: str
    orchestrator: LocalOrchestrator
    path: Path
    before: bytes


@pytest.fixture
def waiting(tmp_path: Path) -> Waiting:
    store = FileExecutionStore(tmp_path / "store")
    orchestrator = LocalOrchestrator(store, clock=FakeClock(), functions=FUNCTIONS)

    async def start() -> str:
        arn = await orchestrator.start(WORKFLOWS["callbacks"], {})
        record = await orchestrator.run(arn, until="suspended")
        assert record.status is ExecutionStatus.RUNNING
        return arn

    arn = asyncio.run(start())
    path = store.record_path(arn)
    return Waiting(tmp_path, arn, orchestrator, path, path.read_bytes())


@pytest.fixture
def command_line(tmp_path: Path) -> Iterator[CommandLine]:
    driver = CommandLine(tmp_path)
    try:
        yield driver
    finally:
        driver.close()


async def refused(action: Any) -> DurableExecutionError:
    try:
        await action
    except DurableExecutionError as error:
        return error
    raise AssertionError("a junk input was accepted")


@SETTINGS
@given(callback_id=junk_text, payload=junk_text, token=junk_text, event=st.dictionaries(
    st.sampled_from(["DurableExecutionArn", "CheckpointToken", "InitialExecutionState", "x"]),
    junk_text | st.integers() | st.none(),
))  # fmt: skip
def test_rejected_inputs_leave_the_stored_execution_byte_identical(
    waiting: Waiting,
    command_line: CommandLine,
    callback_id: str,
    payload: str,
    token: str,
    event: dict[str, Any],
) -> None:
    service = waiting.orchestrator.local_service
    function = load_handler(WORKFLOWS["callbacks"])
    error = ErrorObject(ErrorType="Junk", ErrorMessage=payload)

    async def attempts() -> list[DurableExecutionError]:
        return [
            await refused(service.send_callback_success(callback_id, payload)),
            await refused(service.send_callback_failure(callback_id, error)),
            await refused(service.send_callback_heartbeat(callback_id)),
            await refused(service.checkpoint(waiting.arn, f"stale-{token}", [])),
            await refused(
                function.invoke_model(
                    {**event, "DurableExecutionArn": waiting.arn},
                    dataclasses.replace(waiting.orchestrator.environment(), service=service),
                )
            ),
        ]

    for refusal in asyncio.run(attempts()):
        assert str(refusal).strip()
    argv = ["callback", "succeed", callback_id, "--payload", payload, "--store", "store"]
    outcome = command_line.run(argv)
    assert outcome["code"] != 0, f"{argv} was accepted"
    assert_one_line_failure(argv, outcome)
    TRIED["rejected inputs"] += 6
    assert waiting.path.read_bytes() == waiting.before, "a rejected input changed the record"


def test_the_execution_still_finishes_after_rejected_inputs(waiting: Waiting) -> None:
    async def finish() -> Any:
        service = waiting.orchestrator.local_service
        for junk in ("", "nope", waiting.arn, "x" * 500):
            await refused(service.send_callback_success(junk, "{}"))
        assert waiting.path.read_bytes() == waiting.before
        return await waiting.orchestrator.run(waiting.arn, answers=ANSWERS["callbacks"])

    record = asyncio.run(finish())
    assert record.status is ExecutionStatus.SUCCEEDED
    # The answer as the orchestrator sent it: callback answers are the sender's text.
    assert json.loads(record.result or "null")["approved"] == '{"ok": true}'


WORDS = [
    "run", "resume", "replay", "list", "status", "history", "callback", "succeed", "fail",
    "heartbeat", "--input", "--name", "--store", "--until", "--answer", "--function",
    "--payload", "--error-type", "--error-message", "--all", "--json", "--html", "end",
    "suspended", "x.py:handler", "os:path", "@missing.json", "{", "NAME=", "=", "-", "--",
]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=12), min_size=1, max_size=6))
def test_any_command_line_fails_in_one_line_without_a_traceback(
    command_line: CommandLine, argv: list[str]
) -> None:
    if argv[0] in ("--help", "-h", "--version"):
        return
    outcome = command_line.run(argv)
    assert_one_line_failure(argv, outcome)
    TRIED["command lines" if outcome["code"] else "command lines that succeeded"] += 1


def test_junk_through_the_real_command_is_one_line(tmp_path: Path) -> None:
    for argv in (["status", "no-such-execution"], ["run", "nowhere.py:handler"], ["--bogus"]):
        done = subprocess.run(
            [sys.executable, "-m", "durable_lambda.app.cli", *argv],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode != 0, argv
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("durable-lambda: ")
        TRIED["command lines"] += 1


def test_report(figures: Callable[[str, Any], None]) -> None:
    if not TRIED:
        pytest.skip("reports what the tests before it in this module measured; run them too")
    assert TRIED["rejected inputs"] > 0
    assert TRIED["command lines"] > TRIED["command lines that succeeded"]
    figures("hypothesis examples (rejected inputs, command lines)", dict(TRIED))
