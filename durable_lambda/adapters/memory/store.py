"""An execution store that keeps records in memory: for tests and the in-memory runner."""

from __future__ import annotations

from durable_lambda.service.ports import ExecutionAlreadyExistsError, ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = ["InMemoryExecutionStore"]


class InMemoryExecutionStore:
    """Implements ``ExecutionStore`` (and ``LendingExecutionStore``, ``DeletingExecutionStore``).

    The records are kept in a dict.

    It stores and hands out snapshots (``ExecutionRecord.snapshot``): the containers are
    copied and the frozen values inside are shared, so a caller that changes a record it
    loaded changes nothing stored until it saves. The local service borrows the stored record
    itself instead (``lend``), so that a checkpoint does not copy the whole execution twice.
    """

    def __init__(self) -> None:
        self._records: dict[str, ExecutionRecord] = {}

    async def create(self, record: ExecutionRecord) -> None:
        """Store a new record.

        Raises:
            ExecutionAlreadyExistsError: A record with the same ARN exists.
        """
        if record.arn in self._records:
            raise ExecutionAlreadyExistsError(
                "an execution with this ARN exists already", execution_arn=record.arn
            )
        self._records[record.arn] = record.snapshot()

    async def load(self, arn: str) -> ExecutionRecord:
        """Return a copy of the record of execution ``arn``.

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        return self._stored(arn).snapshot()

    async def save(self, record: ExecutionRecord) -> None:
        """Replace the stored record of ``record.arn`` with a copy of ``record``.

        Raises:
            ExecutionNotFoundError: No such execution was created.
        """
        self._stored(record.arn)
        self._records[record.arn] = record.snapshot()

    async def delete(self, arn: str) -> None:
        """Remove execution ``arn`` (``DeletingExecutionStore``).

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        self._stored(arn)
        del self._records[arn]

    def lend(self, arn: str) -> ExecutionRecord:
        """Return the stored record of execution ``arn`` itself (see ``LendingExecutionStore``).

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        return self._stored(arn)

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every stored execution, oldest first."""
        return [record.summary() for record in self._records.values()]

    def _stored(self, arn: str) -> ExecutionRecord:
        try:
            return self._records[arn]
        except KeyError:
            raise ExecutionNotFoundError("no execution has this ARN", execution_arn=arn) from None
