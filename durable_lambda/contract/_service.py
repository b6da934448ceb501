"""``DurableServiceContract``: the local service over a store behaves as over the reference one."""

from __future__ import annotations

import asyncio
import unittest
from abc import ABC, abstractmethod

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.contract._checks import raises, same
from durable_lambda.contract._samples import START, update
from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.model import InvocationOutput, InvocationStatus, OperationStatus
from durable_lambda.service.history import EventType
from durable_lambda.service.ports import ExecutionStore, LockingExecutionStore
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

__all__ = ["DurableServiceContract"]


class DurableServiceContract(ABC):
    """``LocalDurableService`` over your store behaves as over the in-memory reference store.

    Implement ``make_store`` (a new, empty store for each test), and ``reopen_store`` if your
    store keeps its data outside the object.
    """

    @abstractmethod
    async def make_store(self) -> ExecutionStore:
        """Return a new, empty store (called once or twice per test)."""

    async def reopen_store(self, store: ExecutionStore) -> ExecutionStore | None:
        """Return another store over the same storage as ``store``; None if there is none."""
        return None

    async def make_service(self, store: ExecutionStore) -> tuple[LocalDurableService, FakeClock]:
        """Return the service under test over ``store``, with deterministic ids and time."""
        ids = iter(range(1_000_000))
        clock = FakeClock(START)
        service = LocalDurableService(
            store,
            clock,
            new_id=lambda: f"id{next(ids)}",
            new_callback_key=lambda: "contract-callback-key",  # the same callback ids each run
        )
        return service, clock

    async def test_tokens_rotate_and_stale_tokens_are_refused(self) -> None:
        """Each checkpoint and invocation issues a new token; older ones are refused."""
        svc, _ = await self.make_service(await self.make_store())
        arn = await svc.start_execution("fn", "{}")
        first = (await svc.invocation_input(arn)).CheckpointToken
        second = (await svc.checkpoint(arn, first, [])).CheckpointToken
        assert second not in (None, first), "a checkpoint must issue a new token"
        with raises(InvalidCheckpointTokenError):
            await svc.checkpoint(arn, first, [])
        third = (await svc.checkpoint(arn, second, [])).CheckpointToken
        assert third not in (None, first, second), "every checkpoint issues a new token"
        newer = (await svc.invocation_input(arn)).CheckpointToken
        with raises(InvalidCheckpointTokenError):
            await svc.checkpoint(arn, third or "", [])
        same((await svc.get_record(arn)).checkpoint_token, newer, "the stored token")

    async def test_a_refused_checkpoint_changes_nothing(self) -> None:
        """A checkpoint the service refuses leaves the stored record as it was."""
        svc, _ = await self.make_service(await self.make_store())
        arn = await svc.start_execution("fn", "{}")
        token = (await svc.invocation_input(arn)).CheckpointToken
        before = await svc.get_record(arn)
        with raises(CheckpointError):
            await svc.checkpoint(arn, token, [update("s", "STEP", "SUCCEED")])
        same(await svc.get_record(arn), before, "the record after a refused checkpoint")

    async def test_a_step_wait_callback_run_matches_the_reference(self) -> None:
        """A scripted step, wait and callback run ends as over the in-memory store."""
        ours = await self._scripted_run(await self.make_store())
        reference = await self._scripted_run(InMemoryExecutionStore())
        same(ours, reference, "the record of the scripted run")
        same(ours.status, ExecutionStatus.SUCCEEDED, "the status")
        same(
            [event.EventType for event in ours.history],
            [
                *(EventType.EXECUTION_STARTED, EventType.STEP_STARTED, EventType.STEP_SUCCEEDED),
                *(EventType.WAIT_STARTED, EventType.INVOCATION_COMPLETED),
                *(EventType.WAIT_SUCCEEDED, EventType.CALLBACK_STARTED),
                *(EventType.INVOCATION_COMPLETED, EventType.CALLBACK_SUCCEEDED),
                *(EventType.INVOCATION_COMPLETED, EventType.EXECUTION_SUCCEEDED),
            ],
            "the history",
        )

    async def _scripted_run(self, store: ExecutionStore) -> ExecutionRecord:
        svc, clock = await self.make_service(store)
        arn = await svc.start_execution("fn", '{"n": 1}')
        pending = InvocationOutput(Status=InvocationStatus.PENDING)
        token = (await svc.invocation_input(arn)).CheckpointToken
        steps = [update("s", "STEP", "START", Name="one"), update("s", "STEP", "SUCCEED")]
        token = (await svc.checkpoint(arn, token, steps)).CheckpointToken or ""
        await svc.checkpoint(
            arn, token, [update("w", "WAIT", "START", WaitOptions={"WaitSeconds": 30})]
        )
        await svc.record_invocation(arn, START, clock.now(), pending)
        clock.advance(30)
        assert await svc.advance(arn), "the wait must fire after 30 s"
        assert await svc.needs_invocation(arn), "a fired wait must call for an invocation"
        token = (await svc.invocation_input(arn)).CheckpointToken
        response = await svc.checkpoint(arn, token, [update("c", "CALLBACK", "START")])
        [callback] = [op for op in response.NewExecutionState.Operations if op.Id == "c"]
        assert callback.CallbackDetails is not None
        assert callback.CallbackDetails.CallbackId is not None
        await svc.record_invocation(arn, clock.now(), clock.now(), pending)
        answered = await svc.send_callback_success(callback.CallbackDetails.CallbackId, '"yes"')
        same(answered.Status, OperationStatus.SUCCEEDED, "the callback's status")
        token = (await svc.invocation_input(arn)).CheckpointToken
        await svc.checkpoint(arn, token, [])
        done = InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result='"yes"')
        await svc.record_invocation(arn, clock.now(), clock.now(), done)
        return await svc.get_record(arn)

    async def test_concurrent_callers_are_applied_one_after_another(self) -> None:
        """Concurrent callback answers all land (the service serialises them)."""
        svc, _ = await self.make_service(await self.make_store())
        arn = await svc.start_execution("fn", None)
        token = (await svc.invocation_input(arn)).CheckpointToken
        starts = [update(f"c{n}", "CALLBACK", "START") for n in range(12)]
        response = await svc.checkpoint(arn, token, starts)
        ids = [op.CallbackDetails for op in response.NewExecutionState.Operations]
        await asyncio.gather(
            *(
                svc.send_callback_success(details.CallbackId or "" if details else "", f'"{n}"')
                for n, details in enumerate(ids)
            )
        )
        record = await svc.get_record(arn)
        results = [record.operations[f"c{n}"].CallbackDetails for n in range(12)]
        same([d.Result if d else None for d in results], [f'"{n}"' for n in range(12)], "results")

    async def test_services_sharing_a_storage_lose_no_change(self) -> None:
        """Two services, each over its own store object on one storage, lose no change.

        As two processes sharing a store do (one answering callbacks while another
        checkpoints): the store's record lock (``LockingExecutionStore``) keeps their
        read-modify-writes apart. Skipped for a store without shared storage or without locks.
        """
        store = await self.make_store()
        other = await self.reopen_store(store)
        if other is None or not isinstance(store, LockingExecutionStore):
            raise unittest.SkipTest("the store is not shared storage with locks")
        first, _ = await self.make_service(store)
        second, _ = await self.make_service(other)
        arn = await first.start_execution("fn", None)
        token = (await first.invocation_input(arn)).CheckpointToken
        starts = [update(f"c{n}", "CALLBACK", "START") for n in range(12)]
        response = await first.checkpoint(arn, token, starts)
        ids = [
            op.CallbackDetails.CallbackId or "" if op.CallbackDetails else ""
            for op in response.NewExecutionState.Operations
        ]
        await asyncio.gather(
            *(
                (first if n % 2 else second).send_callback_success(callback_id, f'"{n}"')
                for n, callback_id in enumerate(ids)
            )
        )
        record = await second.get_record(arn)
        results = [record.operations[f"c{n}"].CallbackDetails for n in range(12)]
        same([d.Result if d else None for d in results], [f'"{n}"' for n in range(12)], "results")
