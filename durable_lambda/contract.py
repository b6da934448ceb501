"""Contract test suites that any execution store adapter can run against itself.

Subclass a suite in a pytest test module, name the subclass ``Test...``, and implement
``make_store``; pytest collects the inherited ``test_*`` methods and runs them against your
store. The suites are ``async`` tests: run them with pytest-asyncio (``asyncio_mode = "auto"``,
or ``pytestmark = pytest.mark.asyncio`` in your module). This module imports nothing from
pytest, so importing it costs nothing at run time; skips are ``unittest.SkipTest``, which
pytest honours.

Example:
    >>> from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
    >>> class TestMyStore(ExecutionStoreContract):  # doctest: +SKIP
    ...     async def make_store(self) -> ExecutionStore:
    ...         return MyStore()
    >>> class TestMyStoreUnderTheService(DurableServiceContract):  # doctest: +SKIP
    ...     async def make_store(self) -> ExecutionStore:
    ...         return MyStore()

See ``docs/storage-adapters.md`` for a worked example.
"""

from __future__ import annotations

import asyncio
import unittest
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core import service
from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.history import EventType
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationStatus,
    OperationUpdate,
)
from durable_lambda.core.store import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionRecord,
    ExecutionStatus,
    ExecutionStore,
)

__all__ = ["START", "DurableServiceContract", "ExecutionStoreContract", "sample_record"]

E = TypeVar("E", bound=BaseException)
START = datetime(2026, 1, 1, tzinfo=UTC)
"""When sample records start, and where the suites' fake clocks begin."""
_PAYLOAD = '{"text": "line one\\nline \\"two\\"", "emoji": "\U0001f680", "nul": "\\u0000"}'


def _update(op_id: str, type_: str, action: str, **fields: Any) -> OperationUpdate:
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


def sample_record(
    name: str = "sample",
    *,
    arn: str | None = None,
    start: datetime = START,
    finished: bool = False,
) -> ExecutionRecord:
    """Return a record that uses every part of ``ExecutionRecord``, built by the real service.

    It holds operations of every type (steps, a retried step, a wait that fired, callbacks,
    a child context, a chained invoke), history events, callbacks, timers, a cached
    checkpoint and payloads with newlines, quotes, a NUL and an emoji.

    Args:
        name: The execution's name (its ARN is made from it).
        arn: The execution's ARN, instead of one made from ``name``.
        start: When it started (whole milliseconds).
        finished: True for a FAILED execution with an error and an end time.

    Returns:
        A new record, equal for equal arguments.
    """
    now = start
    record = service.start_execution(
        arn or service.execution_arn("contract-fn", name, f"{name}-id"),
        "contract-fn",
        _PAYLOAD,
        now,
        name=name,
        execution_timeout_seconds=3600,
    )
    token = service.invocation_input(record).CheckpointToken
    updates = [
        _update("step", "STEP", "START", Name="charge", SubType="Step"),
        _update("step", "STEP", "SUCCEED", Name="charge", SubType="Step", Payload=_PAYLOAD),
        _update("flaky", "STEP", "START", Name="flaky"),
        _update(
            "flaky",
            "STEP",
            "RETRY",
            Name="flaky",
            Error={"ErrorType": "Boom", "ErrorMessage": "no\nluck", "StackTrace": ["a", "b"]},
            StepOptions={"NextAttemptDelaySeconds": 5},
        ),
        _update("nap", "WAIT", "START", WaitOptions={"WaitSeconds": 2}),
        _update("ask", "CALLBACK", "START", CallbackOptions={"TimeoutSeconds": 600}),
        _update("again", "CALLBACK", "START", CallbackOptions={"HeartbeatTimeoutSeconds": 60}),
        _update("ctx", "CONTEXT", "START", Name="child", SubType="RunInChildContext"),
        _update("inner", "STEP", "START", ParentId="ctx", Name="inner"),
        _update("call", "CHAINED_INVOKE", "START", ChainedInvokeOptions={"FunctionName": "t"}),
    ]
    service.apply_checkpoint(record, token, updates, now, client_token="client-1")
    now += timedelta(seconds=3)
    service.advance(record, now)
    callback_id = record.operations["ask"].CallbackDetails
    assert callback_id is not None
    assert callback_id.CallbackId is not None
    service.send_callback_success(record, callback_id.CallbackId, _PAYLOAD, now)
    pending = InvocationOutput(Status=InvocationStatus.PENDING)
    service.record_invocation(record, start, now, pending, request_id="request-1")
    if finished:
        failed = InvocationOutput(
            Status=InvocationStatus.FAILED, Error=ErrorObject(ErrorType="Done", ErrorData="{}")
        )
        service.record_invocation(record, now, now, failed, request_id="request-2")
    return record


@contextmanager
def _raises(kind: type[E]) -> Iterator[list[E]]:
    """Like ``pytest.raises``, without pytest: the list holds the error once it is raised."""
    caught: list[E] = []
    try:
        yield caught
    except kind as error:
        caught.append(error)
        return
    raise AssertionError(f"expected {kind.__name__}, but nothing was raised")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} characters)"


def _differences(actual: object, expected: object, where: str = "") -> list[str]:
    """Describe where two values differ, field by field, key by key (records are large)."""
    if actual == expected:
        return []
    if isinstance(actual, BaseModel) and type(actual) is type(expected):
        found = []
        for field in type(actual).model_fields:
            found += _differences(
                getattr(actual, field), getattr(expected, field), f"{where}.{field}"
            )
        return found
    if isinstance(actual, dict) and isinstance(expected, dict):
        found = [f"{where}[{key!r}] is missing" for key in expected if key not in actual]
        found += [f"{where}[{key!r}] is extra" for key in actual if key not in expected]
        for key in actual.keys() & expected.keys():
            found += _differences(actual[key], expected[key], f"{where}[{key!r}]")
        return found
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        if len(actual) != len(expected):
            return [f"{where} has {len(actual)} items, expected {len(expected)}"]
        for index, (left, right) in enumerate(zip(actual, expected, strict=True)):
            if left != right:
                return _differences(left, right, f"{where}[{index}]")
    return [f"{where or 'the value'}: got {_short(actual)}, expected {_short(expected)}"]


def _same(actual: object, expected: object, what: str) -> None:
    if actual != expected:
        lines = "\n  ".join(_differences(actual, expected)[:20])
        raise AssertionError(f"{what} is not as expected:\n  {lines}")


class ExecutionStoreContract(ABC):
    """The behaviour every ``ExecutionStore`` must have, as pytest tests.

    Implement ``make_store`` (a new, empty store for each test); implement ``reopen_store``
    too if your store keeps its data outside the object (files, a database), to check that a
    second instance sees the first one's records.
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
        _same(await store.load(record.arn), sample_record(), "the loaded record")

    async def test_a_saved_record_loads_back_equal(self) -> None:
        """``save`` replaces the whole record; ``load`` gives back an equal one."""
        store = await self.make_store()
        await store.create(sample_record())
        await store.save(sample_record(finished=True))
        _same(await store.load(sample_record().arn), sample_record(finished=True), "the record")

    async def test_create_refuses_an_existing_arn_and_keeps_the_first(self) -> None:
        """A second ``create`` of an ARN raises and leaves the first record."""
        store = await self.make_store()
        await store.create(sample_record())
        with _raises(ExecutionAlreadyExistsError) as caught:
            await store.create(sample_record(finished=True))
        _same(caught[0].execution_arn, sample_record().arn, "the error's ARN")
        _same(await store.load(sample_record().arn), sample_record(), "the stored record")

    async def test_load_and_save_of_an_unknown_execution_raise_not_found(self) -> None:
        """Unknown ARNs raise ``ExecutionNotFoundError``; ``save`` creates nothing."""
        store = await self.make_store()
        record = sample_record("unknown")
        with _raises(ExecutionNotFoundError) as caught:
            await store.load(record.arn)
        assert isinstance(caught[0], LookupError)
        _same(caught[0].execution_arn, record.arn, "the error's ARN")
        with _raises(ExecutionNotFoundError):
            await store.save(record)
        _same(await store.list_executions(), [], "the executions after a refused save")

    async def test_changing_a_loaded_record_changes_nothing_stored(self) -> None:
        """A loaded record is a copy: changing it changes nothing until it is saved."""
        store = await self.make_store()
        await store.create(sample_record())
        loaded = await store.load(sample_record().arn)
        loaded.operations.clear()
        loaded.history.pop()
        loaded.callbacks.clear()
        loaded.name = "changed"
        _same(await store.load(loaded.arn), sample_record(), "the stored record")

    async def test_changing_a_record_after_create_or_save_changes_nothing_stored(self) -> None:
        """The store keeps its own copy of what it was given."""
        store = await self.make_store()
        record = sample_record()
        await store.create(record)
        record.timers.clear()
        _same(await store.load(record.arn), sample_record(), "the record after create")
        finished = sample_record(finished=True)
        await store.save(finished)
        finished.history.clear()
        finished.status = ExecutionStatus.RUNNING
        _same(await store.load(record.arn), sample_record(finished=True), "after save")

    async def test_the_list_holds_a_summary_of_each_execution_oldest_first(self) -> None:
        """``list_executions`` gives each record's summary, oldest first, as last saved."""
        store = await self.make_store()
        _same(await store.list_executions(), [], "the executions of a new store")
        records = [sample_record(f"r{n}", start=START + timedelta(hours=n)) for n in range(3)]
        for record in records:
            await store.create(record)
        expected = [record.summary() for record in records]
        _same(await store.list_executions(), expected, "the executions")
        await store.save(sample_record("r1", start=START + timedelta(hours=1), finished=True))
        listed = await store.list_executions()
        _same([s.Status for s in listed], ["RUNNING", "FAILED", "RUNNING"], "the statuses")

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
        _same(await store.load(stored.arn), variants[7], "the record saved after the others")

    async def test_many_executions_at_once_stay_apart(self) -> None:
        """Concurrent work on many executions keeps each one's record apart."""
        store = await self.make_store()
        records = [sample_record(f"m{n}") for n in range(20)]
        await asyncio.gather(*(store.create(record) for record in records))
        finished = [sample_record(f"m{n}", finished=True) for n in range(0, 20, 2)]
        await asyncio.gather(*(store.save(record) for record in finished))
        loaded = await asyncio.gather(*(store.load(record.arn) for record in records))
        _same([r.status for r in loaded], ["FAILED", "RUNNING"] * 10, "the statuses")
        _same(len(await store.list_executions()), 20, "the number of executions")

    async def test_similar_arns_are_different_executions(self) -> None:
        """ARNs that differ in case or punctuation only are different executions."""
        store = await self.make_store()
        prefix = "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST/durable-execution"
        names = ["Run", "run", "r.un", "r_un", "r-un", "r un", "r/un", "r\u00fcn", "a" * 300]
        records = [sample_record(name, arn=f"{prefix}/{name}/1") for name in names]
        for record in records:
            await store.create(record)
        loaded = [await store.load(record.arn) for record in records]
        _same([record.name for record in loaded], names, "the names loaded back")
        _same(len(await store.list_executions()), len(names), "the number of executions")

    async def test_large_payloads_survive_byte_for_byte(self) -> None:
        """A 1 MiB payload of many scripts comes back unchanged."""
        store = await self.make_store()
        record = sample_record()
        record.result = "".join(chr(0x20 + n % 0x2000) for n in range(1 << 20))
        await store.create(record)
        _same((await store.load(record.arn)).result, record.result, "the 1 MiB payload")

    async def test_a_reopened_store_sees_every_record(self) -> None:
        """Another store over the same storage sees every record (if it has storage)."""
        store = await self.make_store()
        await store.create(sample_record("a"))
        await store.create(sample_record("b", start=START + timedelta(seconds=1)))
        await store.save(sample_record("a", finished=True))
        reopened = await self.reopen_store(store)
        if reopened is None:
            raise unittest.SkipTest("this store keeps nothing outside the object")
        _same(await reopened.load(sample_record("a").arn), sample_record("a", finished=True), "a")
        _same(len(await reopened.list_executions()), 2, "the number of executions")
        with _raises(ExecutionAlreadyExistsError):
            await reopened.create(sample_record("b"))


class DurableServiceContract(ABC):
    """``LocalDurableService`` over your store behaves as over the in-memory reference store.

    Implement ``make_store`` (a new, empty store for each test).
    """

    @abstractmethod
    async def make_store(self) -> ExecutionStore:
        """Return a new, empty store (called once or twice per test)."""

    async def make_service(self, store: ExecutionStore) -> tuple[LocalDurableService, FakeClock]:
        """Return the service under test over ``store``, with deterministic ids and time."""
        ids = iter(range(1_000_000))
        clock = FakeClock(START)
        return LocalDurableService(store, clock, new_id=lambda: f"id{next(ids)}"), clock

    async def test_tokens_rotate_and_stale_tokens_are_refused(self) -> None:
        """Each checkpoint and invocation issues a new token; older ones are refused."""
        svc, _ = await self.make_service(await self.make_store())
        arn = await svc.start_execution("fn", "{}")
        first = (await svc.invocation_input(arn)).CheckpointToken
        second = (await svc.checkpoint(arn, first, [])).CheckpointToken
        assert second not in (None, first), "a checkpoint must issue a new token"
        with _raises(InvalidCheckpointTokenError):
            await svc.checkpoint(arn, first, [])
        third = (await svc.checkpoint(arn, second, [])).CheckpointToken
        assert third not in (None, first, second), "every checkpoint issues a new token"
        newer = (await svc.invocation_input(arn)).CheckpointToken
        with _raises(InvalidCheckpointTokenError):
            await svc.checkpoint(arn, third or "", [])
        _same((await svc.get_record(arn)).checkpoint_token, newer, "the stored token")

    async def test_a_refused_checkpoint_changes_nothing(self) -> None:
        """A checkpoint the service refuses leaves the stored record as it was."""
        svc, _ = await self.make_service(await self.make_store())
        arn = await svc.start_execution("fn", "{}")
        token = (await svc.invocation_input(arn)).CheckpointToken
        before = await svc.get_record(arn)
        with _raises(CheckpointError):
            await svc.checkpoint(arn, token, [_update("s", "STEP", "SUCCEED")])
        _same(await svc.get_record(arn), before, "the record after a refused checkpoint")

    async def test_a_step_wait_callback_run_matches_the_reference(self) -> None:
        """A scripted step, wait and callback run ends as over the in-memory store."""
        ours = await self._scripted_run(await self.make_store())
        reference = await self._scripted_run(InMemoryExecutionStore())
        _same(ours, reference, "the record of the scripted run")
        _same(ours.status, ExecutionStatus.SUCCEEDED, "the status")
        _same(
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
        steps = [_update("s", "STEP", "START", Name="one"), _update("s", "STEP", "SUCCEED")]
        token = (await svc.checkpoint(arn, token, steps)).CheckpointToken or ""
        await svc.checkpoint(
            arn, token, [_update("w", "WAIT", "START", WaitOptions={"WaitSeconds": 30})]
        )
        await svc.record_invocation(arn, START, clock.now(), pending)
        clock.advance(30)
        assert await svc.advance(arn), "the wait must fire after 30 s"
        assert await svc.needs_invocation(arn), "a fired wait must call for an invocation"
        token = (await svc.invocation_input(arn)).CheckpointToken
        response = await svc.checkpoint(arn, token, [_update("c", "CALLBACK", "START")])
        [callback] = [op for op in response.NewExecutionState.Operations if op.Id == "c"]
        assert callback.CallbackDetails is not None
        assert callback.CallbackDetails.CallbackId is not None
        await svc.record_invocation(arn, clock.now(), clock.now(), pending)
        answered = await svc.send_callback_success(callback.CallbackDetails.CallbackId, '"yes"')
        _same(answered.Status, OperationStatus.SUCCEEDED, "the callback's status")
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
        starts = [_update(f"c{n}", "CALLBACK", "START") for n in range(12)]
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
        _same([d.Result if d else None for d in results], [f'"{n}"' for n in range(12)], "results")
