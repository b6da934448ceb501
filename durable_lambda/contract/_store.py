"""``ExecutionStoreContract``: the behaviour every ``ExecutionStore`` must have, as tests."""

from __future__ import annotations

import asyncio
import unittest
from abc import ABC, abstractmethod
from datetime import timedelta

from durable_lambda.contract._capabilities import StoreCapabilitiesContract
from durable_lambda.contract._checks import raises, same
from durable_lambda.contract._incremental import IncrementalStoreContract
from durable_lambda.contract._samples import START, sample_record
from durable_lambda.service.ports import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStore,
)
from durable_lambda.service.record import ExecutionStatus

__all__ = ["ExecutionStoreContract"]


class ExecutionStoreContract(StoreCapabilitiesContract, IncrementalStoreContract, ABC):
    """The behaviour every ``ExecutionStore`` must have, as pytest tests.

    Implement ``make_store`` (a new, empty store for each test); implement ``reopen_store``
    too if your store keeps its data outside the object (files, a database), to check that a
    second instance sees the first one's records. The capabilities the store declares
    (``LockingExecutionStore``, ``RepairableExecutionStore``, ``DeletingExecutionStore``,
    ``IncrementalExecutionStore``) are tested too; implement ``damage_record`` to test the
    repair of a damaged record.
    """

    @abstractmethod
    async def make_store(self) -> ExecutionStore:
        """Return a new, empty store (called once per test)."""

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        """Return another store over the same storage as ``store``; None if there is none."""
        return None

    async def test_it_is_an_execution_store(self) -> None:
        """The store satisfies the ``ExecutionStore`` protocol."""
        assert isinstance(await self.make_store(), ExecutionStore)

    async def test_a_created_record_loads_back_equal(self) -> None:
        """``create`` then ``load`` gives back an equal record, every field of it."""
        store = await self.make_store()
        record = sample_record()
        await store.create(record)
        same(await store.load(record.arn), sample_record(), "the loaded record")

    async def test_a_saved_record_loads_back_equal(self) -> None:
        """``save`` replaces the whole record; ``load`` gives back an equal one."""
        store = await self.make_store()
        await store.create(sample_record())
        await store.save(sample_record(finished=True))
        same(await store.load(sample_record().arn), sample_record(finished=True), "the record")

    async def test_create_refuses_an_existing_arn_and_keeps_the_first(self) -> None:
        """A second ``create`` of an ARN raises and leaves the first record."""
        store = await self.make_store()
        await store.create(sample_record())
        with raises(ExecutionAlreadyExistsError) as caught:
            await store.create(sample_record(finished=True))
        same(caught[0].execution_arn, sample_record().arn, "the error's ARN")
        same(await store.load(sample_record().arn), sample_record(), "the stored record")

    async def test_load_and_save_of_an_unknown_execution_raise_not_found(self) -> None:
        """Unknown ARNs raise ``ExecutionNotFoundError``; ``save`` creates nothing."""
        store = await self.make_store()
        record = sample_record("unknown")
        with raises(ExecutionNotFoundError) as caught:
            await store.load(record.arn)
        assert isinstance(caught[0], LookupError)
        same(caught[0].execution_arn, record.arn, "the error's ARN")
        with raises(ExecutionNotFoundError):
            await store.save(record)
        same(await store.list_executions(), [], "the executions after a refused save")

    async def test_changing_a_loaded_record_changes_nothing_stored(self) -> None:
        """A loaded record is a copy: changing it changes nothing until it is saved."""
        store = await self.make_store()
        await store.create(sample_record())
        loaded = await store.load(sample_record().arn)
        loaded.operations.clear()
        loaded.history.pop()
        loaded.callbacks.clear()
        loaded.name = "changed"
        same(await store.load(loaded.arn), sample_record(), "the stored record")

    async def test_changing_a_record_after_create_or_save_changes_nothing_stored(self) -> None:
        """The store keeps its own copy of what it was given."""
        store = await self.make_store()
        record = sample_record()
        await store.create(record)
        record.timers.clear()
        same(await store.load(record.arn), sample_record(), "the record after create")
        finished = sample_record(finished=True)
        await store.save(finished)
        finished.history.clear()
        finished.status = ExecutionStatus.RUNNING
        same(await store.load(record.arn), sample_record(finished=True), "after save")

    async def test_the_list_holds_a_summary_of_each_execution_oldest_first(self) -> None:
        """``list_executions`` gives each record's summary, oldest first, as last saved."""
        store = await self.make_store()
        same(await store.list_executions(), [], "the executions of a new store")
        records = [sample_record(f"r{n}", start=START + timedelta(hours=n)) for n in range(3)]
        for record in records:
            await store.create(record)
        expected = [record.summary() for record in records]
        same(await store.list_executions(), expected, "the executions")
        await store.save(sample_record("r1", start=START + timedelta(hours=1), finished=True))
        listed = await store.list_executions()
        same([s.Status for s in listed], ["RUNNING", "FAILED", "RUNNING"], "the statuses")

    async def test_concurrent_saves_leave_one_complete_record(self) -> None:
        """Saves racing on one execution leave one of them whole, never a mix."""
        store = await self.make_store()
        await store.create(sample_record())
        variants = []
        for n in range(40):
            variant = sample_record(finished=n % 2 == 1)
            variant.name = f"variant-{n}"
            variant.input_payload = "x" * (n * 997)
            variants.append(variant)
        await asyncio.gather(*(store.save(variant) for variant in variants))
        stored = await store.load(sample_record().arn)
        assert stored in variants, f"the stored record is none of the saved ones: {stored.name}"
        await store.save(variants[7])
        same(await store.load(stored.arn), variants[7], "the record saved after the others")

    async def test_many_executions_at_once_stay_apart(self) -> None:
        """Concurrent work on many executions keeps each one's record apart."""
        store = await self.make_store()
        records = [sample_record(f"m{n}") for n in range(20)]
        await asyncio.gather(*(store.create(record) for record in records))
        finished = [sample_record(f"m{n}", finished=True) for n in range(0, 20, 2)]
        await asyncio.gather(*(store.save(record) for record in finished))
        loaded = await asyncio.gather(*(store.load(record.arn) for record in records))
        same([r.status for r in loaded], ["FAILED", "RUNNING"] * 10, "the statuses")
        same(len(await store.list_executions()), 20, "the number of executions")

    async def test_similar_arns_are_different_executions(self) -> None:
        """ARNs that differ in case or punctuation only are different executions."""
        store = await self.make_store()
        prefix = "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST/durable-execution"
        names = ["Run", "run", "r.un", "r_un", "r-un", "r un", "r/un", "r\u00fcn", "a" * 300]
        records = [sample_record(name, arn=f"{prefix}/{name}/1") for name in names]
        for record in records:
            await store.create(record)
        loaded = [await store.load(record.arn) for record in records]
        same([record.name for record in loaded], names, "the names loaded back")
        same(len(await store.list_executions()), len(names), "the number of executions")

    async def test_large_payloads_survive_byte_for_byte(self) -> None:
        """A 1 MiB payload of many scripts comes back unchanged."""
        store = await self.make_store()
        record = sample_record()
        record.result = "".join(chr(0x20 + n % 0x2000) for n in range(1 << 20))
        await store.create(record)
        same((await store.load(record.arn)).result, record.result, "the 1 MiB payload")

    async def test_a_reopened_store_sees_every_record(self) -> None:
        """Another store over the same storage sees every record (if it has storage)."""
        store = await self.make_store()
        await store.create(sample_record("a"))
        await store.create(sample_record("b", start=START + timedelta(seconds=1)))
        await store.save(sample_record("a", finished=True))
        reopened = await self.reopen_store(store)
        if reopened is None:
            raise unittest.SkipTest("this store keeps nothing outside the object")
        same(await reopened.load(sample_record("a").arn), sample_record("a", finished=True), "a")
        same(len(await reopened.list_executions()), 2, "the number of executions")
        with raises(ExecutionAlreadyExistsError):
            await reopened.create(sample_record("b"))
