"""LocalDurableService over InMemoryExecutionStore with a FakeClock, and the store itself."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    WaitOptions,
)
from durable_lambda.core.ports import DurableService
from durable_lambda.service import execution_arn, start_execution
from durable_lambda.service.callbacks import (
    CallbackClosedError,
    UnknownCallbackError,
    callback_id_for,
)
from durable_lambda.service.history import EventType
from durable_lambda.service.ports import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStore,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

START = datetime(2026, 1, 1, tzinfo=UTC)
A = OperationAction
T = OperationType
ARN_PATTERN = re.compile(
    r"arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):"
    r"(\$LATEST(?:\.PUBLISHED)?|[0-9]+)/durable-execution/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)"
)


def update(
    op_id: str, type_: OperationType, action: OperationAction, **fields: object
) -> OperationUpdate:
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


class YieldingStore(InMemoryExecutionStore):
    """Yields to the loop inside load, as a real store's I/O would, so races can happen."""

    async def load(self, arn: str) -> ExecutionRecord:
        record = await super().load(arn)
        await asyncio.sleep(0)
        return record


def make_service(
    store: InMemoryExecutionStore | None = None,
) -> tuple[LocalDurableService, FakeClock]:
    clock = FakeClock(START)
    ids = iter(f"id{n}" for n in range(1000))
    return LocalDurableService(
        store or InMemoryExecutionStore(), clock, new_id=lambda: next(ids)
    ), clock


async def test_the_store_hands_out_copies() -> None:
    store = InMemoryExecutionStore()
    record = start_execution(execution_arn("fn", "r", "1"), "fn", None, START)
    await store.create(record)

    loaded = await store.load(record.arn)
    loaded.operations.clear()
    record.history.clear()

    assert len((await store.load(record.arn)).operations) == 1
    assert len((await store.load(record.arn)).history) == 1
    loaded.name = "renamed"
    await store.save(loaded)
    assert (await store.load(record.arn)).name == "renamed"
    assert isinstance(store, ExecutionStore)


async def test_the_store_refuses_unknown_and_duplicate_records() -> None:
    store = InMemoryExecutionStore()
    first = start_execution(execution_arn("fn", "a", "1"), "fn", None, START)
    second = start_execution(
        execution_arn("fn", "b", "2"), "fn", None, START + timedelta(seconds=1)
    )
    await store.create(first)

    with pytest.raises(ExecutionAlreadyExistsError):
        await store.create(first)
    with pytest.raises(ExecutionNotFoundError):
        await store.load(second.arn)
    with pytest.raises(ExecutionNotFoundError):
        await store.save(second)
    await store.create(second)
    assert [s.DurableExecutionName for s in await store.list_executions()] == ["a", "b"]


async def test_an_invocation_round_trip() -> None:
    service, clock = make_service()
    assert isinstance(service, DurableService)

    arn = await service.start_execution("orders", '{"n": 1}')
    assert ARN_PATTERN.fullmatch(arn)
    assert await service.needs_invocation(arn)
    event = await service.invocation_input(arn)
    assert event.InitialExecutionState.Operations[0].ExecutionDetails is not None
    assert event.InitialExecutionState.Operations[0].ExecutionDetails.InputPayload == '{"n": 1}'

    clock.advance(1)
    response = await service.checkpoint(
        arn,
        event.CheckpointToken,
        [update("s", T.STEP, A.START), update("s", T.STEP, A.SUCCEED, Payload="2")],
    )
    assert response.NewExecutionState.Operations[0].EndTimestamp == START + timedelta(seconds=1)
    with pytest.raises(InvalidCheckpointTokenError):
        await service.checkpoint(arn, event.CheckpointToken, [])
    state = await service.get_state(arn, event.CheckpointToken, "", 1)
    assert [op.Id for op in state.Operations] == ["id0"]
    assert state.NextMarker is not None

    clock.advance(1)
    output = InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result="2")
    await service.record_invocation(arn, START, clock.now(), output)

    description = await service.get_execution(arn)
    assert (description.Status, description.Result) == (ExecutionStatus.SUCCEEDED, "2")
    history = await service.history(arn)
    assert [e.EventType for e in history] == [
        EventType.EXECUTION_STARTED,
        EventType.STEP_STARTED,
        EventType.STEP_SUCCEEDED,
        EventType.INVOCATION_COMPLETED,
        EventType.EXECUTION_SUCCEEDED,
    ]
    assert history[3].InvocationCompletedDetails is not None
    assert history[3].InvocationCompletedDetails.RequestId == "id1"
    with pytest.raises(CheckpointError):
        await service.checkpoint(arn, response.CheckpointToken or "", [])


async def test_timers_follow_the_fake_clock() -> None:
    service, clock = make_service()
    arn = await service.start_execution("fn", None, name="timed")
    event = await service.invocation_input(arn)
    await service.checkpoint(
        arn,
        event.CheckpointToken,
        [
            update("w", T.WAIT, A.START, WaitOptions=WaitOptions(WaitSeconds=60)),
            update("c", T.CALLBACK, A.START, CallbackOptions=CallbackOptions(TimeoutSeconds=30)),
        ],
    )

    assert await service.next_due(arn) == START + timedelta(seconds=30)
    due = await service.next_due(arn, include_deadlines=False)
    assert due == START + timedelta(seconds=60)
    assert len(await service.pending_timers(arn)) == 2
    assert await service.advance(arn) is False
    await clock.sleep_until(due)
    assert await service.advance(arn) is True
    record = await service.get_record(arn)
    assert record.operations["w"].Status is OperationStatus.SUCCEEDED
    assert record.operations["c"].Status is OperationStatus.TIMED_OUT
    assert await service.needs_invocation(arn)
    assert (await service.list_executions())[0].DurableExecutionName == "timed"


async def test_callbacks_through_the_service() -> None:
    service, clock = make_service()
    arn = await service.start_execution("fn", None)
    event = await service.invocation_input(arn)
    response = await service.checkpoint(
        arn,
        event.CheckpointToken,
        [
            update(
                "a",
                T.CALLBACK,
                A.START,
                CallbackOptions=CallbackOptions(HeartbeatTimeoutSeconds=10),
            ),
            update("b", T.CALLBACK, A.START),
        ],
    )
    first, second = (
        op.CallbackDetails.CallbackId
        for op in response.NewExecutionState.Operations
        if op.CallbackDetails
    )
    assert first is not None
    assert second is not None

    clock.advance(9)
    await service.send_callback_heartbeat(first)
    clock.advance(9)
    done = await service.send_callback_success(first, b'{"ok": 1}')
    failed = await service.send_callback_failure(second, ErrorObject(ErrorMessage="no"))

    assert done.CallbackDetails is not None
    assert done.CallbackDetails.Result == '{"ok": 1}'
    assert failed.Status is OperationStatus.FAILED
    with pytest.raises(CallbackClosedError):
        await service.send_callback_success(first)
    unknown = start_execution(execution_arn("fn", "x", "gone"), "fn", None, START)
    with pytest.raises(UnknownCallbackError):
        await service.send_callback_success(callback_id_for(unknown.arn, "a"))
    with pytest.raises(UnknownCallbackError):
        await service.send_callback_heartbeat("%%%")


async def test_calls_on_one_execution_are_serialised() -> None:
    service, _ = make_service(YieldingStore())
    arn = await service.start_execution("fn", None)
    event = await service.invocation_input(arn)
    updates = [update(f"c{i}", T.CALLBACK, A.START) for i in range(5)]
    response = await service.checkpoint(arn, event.CheckpointToken, updates)
    ids = [
        op.CallbackDetails.CallbackId or ""
        for op in response.NewExecutionState.Operations
        if op.CallbackDetails
    ]

    await asyncio.gather(
        *(service.send_callback_success(cid, f'"{n}"') for n, cid in enumerate(ids))
    )

    record = await service.get_record(arn)
    assert [record.operations[f"c{i}"].Status for i in range(5)] == [OperationStatus.SUCCEEDED] * 5


async def test_a_refused_checkpoint_is_not_saved() -> None:
    service, _ = make_service()
    arn = await service.start_execution("fn", None)
    event = await service.invocation_input(arn)

    with pytest.raises(CheckpointError):
        await service.checkpoint(arn, event.CheckpointToken, [update("s", T.STEP, A.SUCCEED)])

    assert (await service.get_record(arn)).checkpoint_token == event.CheckpointToken


async def test_history_without_execution_data() -> None:
    service, _ = make_service()
    arn = await service.start_execution("fn", '"secret"')

    [event] = await service.history(arn, include_execution_data=False)

    assert event.ExecutionStartedDetails is not None
    assert event.ExecutionStartedDetails.Input is not None
    assert event.ExecutionStartedDetails.Input.Payload is None
    assert event.ExecutionStartedDetails.Input.Truncated is True


async def test_stop_and_chained_invokes_through_the_service() -> None:
    service, _ = make_service()
    arn = await service.start_execution("fn", None, arn=execution_arn("fn", "given", "x1"))
    assert arn.endswith("/given/x1")
    with pytest.raises(ExecutionAlreadyExistsError):
        await service.start_execution("fn", None, arn=arn)
    event = await service.invocation_input(arn)
    options = ChainedInvokeOptions(FunctionName="target")
    await service.checkpoint(
        arn,
        event.CheckpointToken,
        [
            update("i", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=options),
            update("j", T.CHAINED_INVOKE, A.START, ChainedInvokeOptions=options),
        ],
    )

    await service.attach_chained_invoke_execution(arn, "i", "child-arn")
    invoke = await service.complete_chained_invoke(
        arn, "i", OperationStatus.SUCCEEDED, result='"r"'
    )
    pending = await service.pending_chained_invokes(arn)

    assert invoke.Status is OperationStatus.SUCCEEDED
    assert [request.OperationId for request in pending] == ["j"]
    assert await service.has_pending_work(arn)
    assert await service.stop_execution(arn) is True
    assert await service.stop_execution(arn) is False
    assert (await service.get_execution(arn)).Status is ExecutionStatus.STOPPED
    assert await service.pending_chained_invokes(arn) == []
    with pytest.raises(ExecutionNotFoundError):
        await service.get_execution(execution_arn("fn", "none", "none"))
