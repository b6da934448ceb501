"""The tests of the capabilities a store may declare: locking, repair, delete (``service.ports``).

``ExecutionStoreContract`` inherits them; each is skipped for a store that does not declare
its capability, and fails for a store that declares part of one.
"""

from __future__ import annotations

import asyncio
import unittest
from abc import ABC, abstractmethod
from collections.abc import Callable

from durable_lambda.contract._checks import raises, same
from durable_lambda.contract._samples import sample_record
from durable_lambda.service.ports import (
    DeletingExecutionStore,
    ExecutionLockedError,
    ExecutionNotFoundError,
    ExecutionStore,
    LockingExecutionStore,
    RepairableExecutionStore,
)

__all__ = ["StoreCapabilitiesContract"]

_GIVE_UP = 30.0  # seconds; only a hang guard: a lock that is never granted fails the test
_LOCKING_METHODS = ("lock", "record_lock")


class StoreCapabilitiesContract(ABC):
    """Tests of the capabilities: locking, repair and delete (see ``service.ports``).

    Each runs where the store has the capability, and is skipped where it has not.

    Override ``damage_record`` to let the repair tests damage a record the way your storage
    can be damaged.
    """

    @abstractmethod
    async def make_store(self) -> ExecutionStore:
        """Return a new, empty store (called once per test)."""

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        """Return another store over the same storage as ``store``; None if there is none."""
        return None

    async def damage_record(self, store: ExecutionStore, arn: str) -> bool:
        """Damage execution ``arn``'s stored record so that ``load`` refuses it.

        As your storage can be damaged (a torn write, a power cut, a bad disk). Return False
        (the default) if there is no such way: the test of repairing a damaged record is then
        skipped.
        """
        return False

    async def test_a_declared_capability_is_declared_whole(self) -> None:
        """A store with ``lock`` or ``record_lock`` has both (a ``LockingExecutionStore``)."""
        store = await self.make_store()
        present = [name for name in _LOCKING_METHODS if callable(getattr(store, name, None))]
        if present and not isinstance(store, LockingExecutionStore):
            raise AssertionError(
                f"the store has {' and '.join(present)} but not every method of "
                f"LockingExecutionStore ({', '.join(_LOCKING_METHODS)}): the local service and "
                "the orchestrator use its locks only when it has both"
            )

    async def _locking_store(self) -> LockingExecutionStore:
        store = await self.make_store()
        if not isinstance(store, LockingExecutionStore):
            raise unittest.SkipTest("the store is not a LockingExecutionStore")
        return store

    async def test_a_held_lock_refuses_another_driver_until_it_is_released(self) -> None:
        """``lock(arn, wait=False)`` raises ``ExecutionLockedError`` while another holds it."""
        store = await self._locking_store()
        arn = sample_record().arn
        async with store.lock(arn):
            with raises(ExecutionLockedError) as caught:
                await asyncio.create_task(_hold(store, arn, wait=False))
            same(caught[0].execution_arn, arn, "the error's ARN")
        await _hold(store, arn, wait=False)  # released: free again

    async def test_a_limited_wait_gives_up_while_the_lock_is_held(self) -> None:
        """``lock(arn, wait=seconds)`` raises ``ExecutionLockedError`` once the wait runs out."""
        store = await self._locking_store()
        arn = sample_record().arn
        async with store.lock(arn):
            with raises(ExecutionLockedError):
                await asyncio.create_task(_hold(store, arn, wait=0.05))

    async def test_a_waiting_driver_gets_the_lock_once_it_is_released(self) -> None:
        """``lock(arn, wait=True)`` waits for the holder, then takes the lock."""
        store = await self._locking_store()
        arn = sample_record().arn
        taken = asyncio.Event()
        async with store.lock(arn):
            waiting = asyncio.create_task(_hold(store, arn, wait=True, then=taken.set))
            await _let_others_run()
            assert not taken.is_set(), "a second driver took the lock while the first held it"
        await asyncio.wait_for(waiting, _GIVE_UP)
        assert taken.is_set()

    async def test_the_lock_is_released_however_its_holder_exits(self) -> None:
        """An exception inside ``async with store.lock(arn)`` releases the lock."""
        store = await self._locking_store()
        arn = sample_record().arn
        with raises(RuntimeError):
            async with store.lock(arn):
                _fail()
        await _hold(store, arn, wait=False)

    async def test_locks_of_different_executions_are_independent(self) -> None:
        """Holding one execution's lock leaves every other execution's free."""
        store = await self._locking_store()
        async with store.lock(sample_record("a").arn):
            await _hold(store, sample_record("b").arn, wait=False)

    async def test_a_lock_holds_for_every_store_over_the_same_storage(self) -> None:
        """A lock taken through one store object refuses a driver using another (if reopenable)."""
        store = await self._locking_store()
        other = await self.reopen_store(store)
        if other is None:
            raise unittest.SkipTest("this store keeps nothing outside the object")
        assert isinstance(other, LockingExecutionStore), "a reopened store must lock too"
        arn = sample_record().arn
        async with store.lock(arn):
            with raises(ExecutionLockedError):
                await asyncio.create_task(_hold(other, arn, wait=False))
        await _hold(other, arn, wait=False)

    async def test_the_record_lock_is_apart_from_the_drivers_lock(self) -> None:
        """A driver holding ``lock`` still changes the record under ``record_lock``."""
        store = await self._locking_store()
        record = sample_record()
        await store.create(record)
        async with store.lock(record.arn), store.record_lock(record.arn):
            await store.save(sample_record(finished=True))
        same(await store.load(record.arn), sample_record(finished=True), "the saved record")

    async def test_record_locks_take_turns(self) -> None:
        """A second ``record_lock`` of one execution waits until the first is released."""
        store = await self._locking_store()
        arn = sample_record().arn
        await store.create(sample_record())
        taken = asyncio.Event()
        async with store.record_lock(arn):
            waiting = asyncio.create_task(_hold_record(store, arn, then=taken.set))
            await _let_others_run()
            assert not taken.is_set(), "two holders of one record lock at once"
        await asyncio.wait_for(waiting, _GIVE_UP)
        assert taken.is_set()

    async def test_a_record_lock_of_an_unknown_execution_creates_nothing(self) -> None:
        """``record_lock`` of an execution that does not exist leaves the storage as it was."""
        store = await self._locking_store()
        arn = sample_record("unknown").arn
        try:
            await _hold_record(store, arn)
        except ExecutionNotFoundError as error:
            same(error.execution_arn, arn, "the error's ARN")
        same(await store.list_executions(), [], "the executions")
        with raises(ExecutionNotFoundError):
            await store.load(arn)
        await store.create(sample_record("unknown"))  # nothing stands in its way

    async def _repairable_store(self) -> RepairableExecutionStore:
        store = await self.make_store()
        if not isinstance(store, RepairableExecutionStore):
            raise unittest.SkipTest("the store is not a RepairableExecutionStore")
        return store

    async def test_repair_replaces_the_stored_record(self) -> None:
        """``repair(record)`` stores ``record`` over the stored one; listings follow."""
        store = await self._repairable_store()
        await store.create(sample_record())
        await store.repair(sample_record(finished=True))
        same(await store.load(sample_record().arn), sample_record(finished=True), "the record")
        same(await store.list_executions(), [sample_record(finished=True).summary()], "the list")

    async def test_repair_stores_an_execution_that_is_missing(self) -> None:
        """``repair(record)`` creates the execution when nothing is stored."""
        store = await self._repairable_store()
        await store.repair(sample_record())
        same(await store.load(sample_record().arn), sample_record(), "the repaired record")

    async def test_a_damaged_record_is_refused_until_it_is_repaired(self) -> None:
        """``load`` and ``save`` refuse a damaged record; ``repair`` puts it right."""
        store = await self._repairable_store()
        await store.create(sample_record())
        arn = sample_record().arn
        if not await self.damage_record(store, arn):
            raise unittest.SkipTest("damage_record is not implemented for this store")
        with raises(Exception):
            await store.load(arn)
        with raises(Exception):
            await store.save(sample_record(finished=True))  # never overwritten on its own
        await store.repair(sample_record(finished=True))
        same(await store.load(arn), sample_record(finished=True), "the repaired record")

    async def _deleting_store(self) -> DeletingExecutionStore:
        store = await self.make_store()
        if not isinstance(store, DeletingExecutionStore):
            raise unittest.SkipTest("the store is not a DeletingExecutionStore")
        return store

    async def test_delete_removes_the_execution_and_nothing_else(self) -> None:
        """After ``delete(arn)``, ``load`` refuses it, the list leaves it out, others stay."""
        store = await self._deleting_store()
        gone, kept = sample_record("gone", finished=True), sample_record("kept")
        await store.create(gone)
        await store.create(kept)
        await store.delete(gone.arn)
        with raises(ExecutionNotFoundError):
            await store.load(gone.arn)
        same(await store.list_executions(), [kept.summary()], "the list after a delete")
        same(await store.load(kept.arn), kept, "the execution left")
        await store.create(gone)  # nothing of it stands in the way
        same(await store.load(gone.arn), gone, "the execution created again")

    async def test_delete_of_an_unknown_execution_is_refused(self) -> None:
        """``delete`` of an ARN no execution has raises ``ExecutionNotFoundError``."""
        store = await self._deleting_store()
        with raises(ExecutionNotFoundError):
            await store.delete(sample_record("never").arn)
        await store.create(sample_record("once"))
        await store.delete(sample_record("once").arn)
        with raises(ExecutionNotFoundError):
            await store.delete(sample_record("once").arn)


async def _hold(
    store: LockingExecutionStore,
    arn: str,
    *,
    wait: bool | float,
    then: Callable[[], object] | None = None,
) -> None:
    """Take and release ``store.lock(arn, wait)``, calling ``then()`` while it is held."""
    async with store.lock(arn, wait):
        if then is not None:
            then()


async def _hold_record(
    store: LockingExecutionStore, arn: str, then: Callable[[], object] | None = None
) -> None:
    """Take and release ``store.record_lock(arn)``, calling ``then()`` while it is held."""
    async with store.record_lock(arn):
        if then is not None:
            then()


def _fail() -> None:
    """Fail as a driver's code can."""
    raise RuntimeError("the driver failed")


async def _let_others_run() -> None:
    """Give waiting tasks (and the threads a store may wait in) many chances to run."""
    for _ in range(20):
        await asyncio.sleep(0.005)
