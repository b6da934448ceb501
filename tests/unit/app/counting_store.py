"""A store of the test's own: records kept as JSON text, every load and save counted.

It lends nothing (unlike the in-memory store), so the local service reads it the way it reads
the file store or a database: each question is a full ``load``.
"""

from __future__ import annotations

from durable_lambda.service.ports import ExecutionAlreadyExistsError, ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary


class CountingStore:
    """An ``ExecutionStore`` over a dict of JSON texts, counting loads and saves."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.loads = 0
        self.saves = 0

    async def create(self, record: ExecutionRecord) -> None:
        if record.arn in self.records:
            raise ExecutionAlreadyExistsError("taken", execution_arn=record.arn)
        self.records[record.arn] = record.to_json()

    async def load(self, arn: str) -> ExecutionRecord:
        self.loads += 1
        if arn not in self.records:
            raise ExecutionNotFoundError("no such execution", execution_arn=arn)
        return ExecutionRecord.from_json(self.records[arn])

    async def save(self, record: ExecutionRecord) -> None:
        self.saves += 1
        if record.arn not in self.records:
            raise ExecutionNotFoundError("no such execution", execution_arn=record.arn)
        self.records[record.arn] = record.to_json()

    async def list_executions(self) -> list[ExecutionSummary]:
        return [ExecutionRecord.from_json(text).summary() for text in self.records.values()]

    @property
    def reads(self) -> int:
        """Loads that changed nothing: a change is one load and one save."""
        return self.loads - self.saves
