"""The tests of ``IncrementalExecutionStore`` (``update``, ``view``), where a store declares it.

``ExecutionStoreContract`` inherits them; they are skipped for a store without the capability
and fail for a store that has half of it. The changes are the real service's (checkpoints, a
callback answer, an invocation recorded, a refused checkpoint), so that a store which saves
only what a change changed (``service.changes``) is checked against every kind of change.
"""

from __future__ import annotations

import unittest
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from durable_lambda import service
from durable_lambda.contract._checks import raises, same
from durable_lambda.contract._samples import START, sample_record, update
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import InvocationOutput, InvocationStatus
from durable_lambda.service.ports import (
    ExecutionNotFoundError,
    ExecutionStore,
    IncrementalExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord

__all__ = ["IncrementalStoreContract"]

_METHODS = ("update", "view")
Change = Callable[[ExecutionRecord], Any]


def _changes() -> list[Change]:
    """Return changes of a ``sample_record()``, as the local service makes them, in order."""
    later = START + timedelta(seconds=10)

    def steps(first: int) -> Change:
        def change(record: ExecutionRecord) -> Any:
            updates = []
            for n in range(first, first + 5):
                updates += [
                    update(f"s{n}", "STEP", "START", Name=f"s{n}"),
                    update(f"s{n}", "STEP", "SUCCEED", Name=f"s{n}", Payload=f'"{n}"'),
                ]
            return service.apply_checkpoint(record, record.checkpoint_token, updates, later)

        return change

    def answer(record: ExecutionRecord) -> Any:
        details = record.operations["again"].CallbackDetails
        assert details is not None
        assert details.CallbackId is not None
        return service.send_callback_success(record, details.CallbackId, '"yes"', later)

    def invocation(record: ExecutionRecord) -> Any:
        pending = InvocationOutput(Status=InvocationStatus.PENDING)
        return service.record_invocation(record, START, later, pending, request_id="r-3")

    return [
        service.invocation_input,
        steps(0),
        answer,
        lambda record: service.advance(record, later + timedelta(minutes=10)),
        invocation,
        service.invocation_input,
        steps(5),
        lambda record: service.stop_execution(record, later + timedelta(minutes=20)),
    ]


class IncrementalStoreContract(ABC):
    """Tests of ``IncrementalExecutionStore``, where the store has it (see ``service.ports``)."""

    @abstractmethod
    async def make_store(self) -> ExecutionStore:
        """Return a new, empty store (called once per test)."""

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        """Return another store over the same storage as ``store``; None if there is none."""
        return None

    async def _incremental_store(self) -> IncrementalExecutionStore:
        store = await self.make_store()
        present = [name for name in _METHODS if callable(getattr(store, name, None))]
        if not present:
            raise unittest.SkipTest("the store is not an IncrementalExecutionStore")
        if not isinstance(store, IncrementalExecutionStore):
            raise AssertionError(
                f"the store has {' and '.join(present)} but not every method of "
                f"IncrementalExecutionStore ({', '.join(_METHODS)}): the local service uses it "
                "only when it has both"
            )
        return store

    async def test_each_update_is_stored_as_the_change_left_the_record(self) -> None:
        """``update`` applies each change and returns its outcome; ``load`` sees every one."""
        store = await self._incremental_store()
        expected = sample_record()
        await store.create(sample_record())
        for number, change in enumerate(_changes()):
            outcome = await store.update(expected.arn, change)
            same(outcome, change(expected), f"the outcome of change {number}")
            same(await store.load(expected.arn), expected, f"the record after change {number}")
        reopened = await self.reopen_store(store)
        if reopened is not None:
            same(await reopened.load(expected.arn), expected, "the record, from another store")

    async def test_a_change_that_raises_stores_nothing(self) -> None:
        """A change that raises leaves the stored record as it was; later changes still apply."""
        store = await self._incremental_store()
        record = sample_record()
        await store.create(record)

        def refused(stored: ExecutionRecord) -> None:
            service.apply_checkpoint(  # refused: "step" is a STEP, not a WAIT
                stored, stored.checkpoint_token, [update("step", "WAIT", "START")], START
            )

        with raises(CheckpointError):
            await store.update(record.arn, refused)
        same(await store.load(record.arn), sample_record(), "the record after a refused change")
        await store.update(record.arn, service.invocation_input)
        service.invocation_input(record)
        same(await store.load(record.arn), record, "the record after the next change")

    async def test_a_view_reads_the_stored_record(self) -> None:
        """``view`` hands ``read`` the stored record as ``load`` would give it."""
        store = await self._incremental_store()
        record = sample_record()
        await store.create(record)
        await store.save(sample_record(finished=True))
        same(
            await store.view(record.arn, ExecutionRecord.summary),
            sample_record(finished=True).summary(),
            "the summary read through view",
        )
        same(
            await store.view(record.arn, lambda stored: stored.to_json()),
            sample_record(finished=True).to_json(),
            "the record read through view",
        )

    async def test_update_and_view_of_an_unknown_execution_raise_not_found(self) -> None:
        """Unknown ARNs raise ``ExecutionNotFoundError`` and create nothing."""
        store = await self._incremental_store()
        arn = sample_record("unknown").arn
        with raises(ExecutionNotFoundError):
            await store.update(arn, service.invocation_input)
        with raises(ExecutionNotFoundError):
            await store.view(arn, ExecutionRecord.summary)
        same(await store.list_executions(), [], "the executions")
