"""The SQLite store of docs/storage-adapters.md passes the contract; the doc shows this code.

The classes below are copied from the doc; ``test_the_doc_shows_this_code`` fails if the two
drift apart, so the doc's example is always code that runs and passes.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
from durable_lambda.service.ports import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

DOC = Path(__file__).parents[3] / "docs" / "storage-adapters.md"


class SqliteExecutionStore:
    """Keeps each execution as one row of a SQLite table: its summary and its record, as JSON."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        # SQLite lets one writer in at a time; queueing this process's threads here is
        # faster than letting them poll the database lock.
        self._one_at_a_time = threading.Lock()
        self._query(
            "CREATE TABLE IF NOT EXISTS executions ("
            " created INTEGER PRIMARY KEY AUTOINCREMENT,"
            " arn TEXT NOT NULL UNIQUE,"
            " started INTEGER NOT NULL,"
            " summary TEXT NOT NULL,"
            " record TEXT NOT NULL)"
        )

    def _query(self, sql: str, *params: object) -> tuple[list[tuple[str]], int]:
        """Run one statement in its own transaction (blocking: call it in a thread)."""
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with self._one_at_a_time, connection:  # commits on success, rolls back on error
                cursor = connection.execute(sql, params)
                return cursor.fetchall(), cursor.rowcount
        finally:
            connection.close()

    async def create(self, record: ExecutionRecord) -> None:
        started = int(record.start_timestamp.timestamp() * 1000)
        summary = record.summary().model_dump_json()
        try:
            await asyncio.to_thread(
                self._query,
                "INSERT INTO executions (arn, started, summary, record) VALUES (?, ?, ?, ?)",
                *(record.arn, started, summary, record.to_json()),
            )
        except sqlite3.IntegrityError:
            raise ExecutionAlreadyExistsError(
                "an execution with this ARN exists already", execution_arn=record.arn
            ) from None

    async def load(self, arn: str) -> ExecutionRecord:
        sql = "SELECT record FROM executions WHERE arn = ?"
        rows, _ = await asyncio.to_thread(self._query, sql, arn)
        if not rows:
            raise ExecutionNotFoundError("no execution has this ARN", execution_arn=arn)
        return ExecutionRecord.from_json(rows[0][0])

    async def save(self, record: ExecutionRecord) -> None:
        summary = record.summary().model_dump_json()
        sql = "UPDATE executions SET summary = ?, record = ? WHERE arn = ?"
        _, changed = await asyncio.to_thread(
            self._query, sql, summary, record.to_json(), record.arn
        )
        if changed == 0:
            raise ExecutionNotFoundError("no execution has this ARN", execution_arn=record.arn)

    async def list_executions(self) -> list[ExecutionSummary]:
        sql = "SELECT summary FROM executions ORDER BY started, created"
        rows, _ = await asyncio.to_thread(self._query, sql)
        return [ExecutionSummary.model_validate_json(summary) for (summary,) in rows]


class TestSqliteStoreContract(ExecutionStoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> None:
        self.database = tmp_path / "executions.db"

    async def make_store(self) -> ExecutionStore:
        return SqliteExecutionStore(self.database)

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        return SqliteExecutionStore(self.database)  # a second store over the same file


class TestLocalServiceOverSqliteStore(DurableServiceContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> None:
        self.database = tmp_path / "executions.db"

    async def make_store(self) -> ExecutionStore:
        return SqliteExecutionStore(self.database)


def python_blocks(markdown: str) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL))


def top_level_block(source: str, header: str) -> str:
    """The text of the top-level statement that starts with ``header``, up to the next one."""
    start = source.index(header)
    following = re.search(r"^\S", source[start + len(header) :], flags=re.MULTILINE)
    end = start + len(header) + following.start() if following else len(source)
    return source[start:end].rstrip()


@pytest.mark.parametrize(
    "header",
    [
        "class SqliteExecutionStore:",
        "class TestSqliteStoreContract(ExecutionStoreContract):",
        "class TestLocalServiceOverSqliteStore(DurableServiceContract):",
    ],
)
def test_the_doc_shows_this_code(header: str) -> None:
    doc = python_blocks(DOC.read_text())
    this = Path(__file__).read_text()

    assert top_level_block(doc, header) == top_level_block(this, header)


def imported_names(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_the_doc_imports_nothing_this_module_does_not() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    examples = [block for block in blocks if "class " in block]
    in_doc = set().union(*(imported_names(block) for block in examples))
    in_doc.discard("sqlite_store.SqliteExecutionStore")  # the doc's module; here, this one

    assert len(examples) == 2
    assert "durable_lambda.contract.ExecutionStoreContract" in in_doc
    assert in_doc <= imported_names(Path(__file__).read_text())
