"""The store of ``docs/storage-adapters.md`` runs under every local host, with no other code.

The SQLite store is taken from the page as written (its ``# sqlite_store.py`` block) into a
scratch folder, and then used three ways: by the ``durable-lambda`` command (a real subprocess,
``--store-factory sqlite_store.py:SqliteExecutionStore --store runs.db``, or the same through
``DURABLE_LAMBDA_STORE_FACTORY``), by ``LocalOrchestrator(store=...)`` and by
``DurableTestRunner(handler, store=...)``. Nothing is written for it but the handler.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.service.record import ExecutionStatus
from durable_lambda.testing import DurableTestRunner

DOC = Path(__file__).resolve().parents[2] / "docs" / "storage-adapters.md"
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]
FACTORY = "sqlite_store.py:SqliteExecutionStore"

APPROVAL = """
    from durable_lambda import (
        DurableContext, PlainJsonSerDes, WaitForCallbackConfig, durable_execution,
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        order = await ctx.step(lambda s: {"id": event["id"]}, name="create-order")
        decision = await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="approval",
            config=WaitForCallbackConfig(serdes=PlainJsonSerDes()),
        )
        return {"order": order, "decision": decision}
"""


def store_module_source() -> str:
    """The page's ``sqlite_store.py``, exactly as it shows it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    (source,) = [block for block in blocks if block.startswith("# sqlite_store.py\n")]
    return str(source)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "sqlite_store.py").write_text(store_module_source())
    (tmp_path / "approval.py").write_text(textwrap.dedent(APPROVAL))
    return tmp_path


@pytest.fixture
def sqlite_store(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("sqlite_store", folder / "sqlite_store.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def rows(database: Path) -> list[tuple[str, str]]:
    """The executions the SQLite file holds: (ARN, status), read without durable-lambda."""
    with sqlite3.connect(database) as connection:
        found = connection.execute("SELECT arn, summary FROM executions").fetchall()
    return [(arn, json.loads(summary)["Status"]) for arn, summary in found]


def test_the_command_line_runs_answers_and_resumes_an_execution_in_the_docs_store(
    folder: Path,
) -> None:
    store = ["--store", "runs.db"]
    started = ok(
        cli(folder, "--store-factory", FACTORY, "run", "approval.py:handler", "--input",
            '{"id": 7}', "--name", "order-7", "--until", "suspended", *store)
    )  # fmt: skip

    assert "is suspended" in started.stderr
    ((arn, status),) = rows(folder / "runs.db")
    assert status == "RUNNING"
    assert not (folder / ".durable").exists()  # nothing went to the file store

    # The printed command names the factory too: pasted as is, it reaches the same store.
    line = next(line for line in started.stderr.splitlines() if "callback succeed" in line)
    answer = shlex.split(line.strip())
    assert answer[:3] == ["durable-lambda", "--store-factory", FACTORY]
    answer[answer.index("--payload") + 1] = '"approved"'
    ok(cli(folder, *answer[1:]))

    listed = json.loads(
        ok(cli(folder, "--store-factory", FACTORY, "list", "--json", *store)).stdout
    )
    assert [entry["DurableExecutionName"] for entry in listed] == ["order-7"]
    status_line = ok(cli(folder, "--store-factory", FACTORY, "status", "order", "--json", *store))
    assert json.loads(status_line.stdout)["DurableExecutionArn"] == arn

    resumed = ok(cli(folder, "--store-factory", FACTORY, "resume", "order-7", *store))
    assert json.loads(resumed.stdout) == {"order": {"id": 7}, "decision": "approved"}
    assert rows(folder / "runs.db") == [(arn, "SUCCEEDED")]


def test_the_factory_can_come_from_the_environment(folder: Path) -> None:
    env = {"DURABLE_LAMBDA_STORE_FACTORY": FACTORY, "DURABLE_LAMBDA_STORE": "env.db"}
    ok(cli(folder, "run", "approval.py:handler", "--input", '{"id": 1}', "--until", "suspended",
           env=env))  # fmt: skip

    ((_, status),) = rows(folder / "env.db")
    assert status == "RUNNING"
    listed = json.loads(ok(cli(folder, "list", "--json", env=env)).stdout)
    assert len(listed) == 1


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        ("sqlite_store.py:absent", "has no attribute 'absent'"),
        ("sqlite_store.py:ExecutionRecord", "failed with runs.db"),
        ("builtins:str", "returned a str, not an ExecutionStore"),
    ],
)
def test_a_factory_that_gives_no_store_is_one_clear_line(
    folder: Path, factory: str, expected: str
) -> None:
    result = cli(folder, "--store-factory", factory, "list", "--store", "runs.db")

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("durable-lambda: error: --store-factory")
    assert expected in lines[0]


def test_repair_says_it_works_on_the_file_store_only(folder: Path) -> None:
    result = cli(folder, "--store-factory", FACTORY, "repair", "anything", "--store", "runs.db")

    assert result.returncode == 2
    assert "repair works on the file store only" in result.stderr


async def test_the_local_orchestrator_runs_on_the_docs_store(
    folder: Path, sqlite_store: ModuleType
) -> None:
    store = sqlite_store.SqliteExecutionStore(folder / "orchestrated.db")
    orchestrator = LocalOrchestrator(store=store, poll_interval=0.01)
    target = f"{folder / 'approval.py'}:handler"

    arn = await orchestrator.start(target, {"id": 3})
    record = await orchestrator.run(arn, answers={"approval": "yes"})

    assert record.status is ExecutionStatus.SUCCEEDED
    assert json.loads(record.result or "") == {"order": {"id": 3}, "decision": "yes"}
    assert rows(folder / "orchestrated.db") == [(arn, "SUCCEEDED")]


async def test_the_test_runner_runs_on_the_docs_store(
    folder: Path, sqlite_store: ModuleType
) -> None:
    spec = importlib.util.spec_from_file_location("approval", folder / "approval.py")
    assert spec is not None
    assert spec.loader is not None
    approval: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(approval)
    store = sqlite_store.SqliteExecutionStore(folder / "tested.db")

    async with DurableTestRunner(approval.handler, store=store) as runner:
        run = await runner.start({"id": 9})
        await run.callback("approval").succeed({"approved": True})
        result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == {"order": {"id": 9}, "decision": {"approved": True}}
    assert rows(folder / "tested.db") == [(run.arn, "SUCCEEDED")]
