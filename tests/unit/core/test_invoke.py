"""ctx.invoke, driven through the in-memory DurableTestRunner with registered targets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from durable_lambda.app.chained_invokes import FunctionRegistry
from durable_lambda.app.testing_runner import DurableTestRunner, ExecutionStuckError, TestExecution
from durable_lambda.core.config import CheckpointMode, Duration, InvokeConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import InvokeError, ValidationError
from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import SerDesContext
from durable_lambda.service.history import EventType, HistoryEvent
from durable_lambda.service.record import ExecutionStatus


def _error_summary(error: InvokeError) -> dict[str, Any]:
    return {"class": type(error).__name__, "type": error.error_type, "message": error.message}


def _events(history: list[HistoryEvent], kind: EventType) -> list[HistoryEvent]:
    return [event for event in history if event.EventType is kind]


async def _invoke_op(run: TestExecution) -> Operation:
    [op] = [op for op in await run.operations_async() if op.Type is OperationType.CHAINED_INVOKE]
    return op


async def double(event: Any, ctx: DurableContext) -> Any:
    doubled = await ctx.step(lambda _: event["x"] * 2, name="double")
    await ctx.wait(Duration(30), name="cool-off")
    return {"doubled": doubled}


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_a_durable_target_runs_as_its_own_execution(mode: CheckpointMode) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.invoke("double", {"x": event}, name="call")

    runner = DurableTestRunner(handler, checkpoint_mode=mode, functions={"double": double})
    run = await runner.start(21)
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", {"doubled": 42})
    # One invocation starts the invoke and suspends; the target's end brings the second.
    assert result.invocations == 2
    op = await _invoke_op(run)
    assert (op.SubType, op.Name, op.Status) == ("ChainedInvoke", "call", OperationStatus.SUCCEEDED)
    history = await run.history()
    [started] = _events(history, EventType.CHAINED_INVOKE_STARTED)
    details = started.ChainedInvokeStartedDetails
    assert details is not None
    assert details.FunctionName == "double"
    assert details.Input is not None
    assert details.Input.Payload == '{"x":21}'
    child_arn = details.DurableExecutionArn
    assert child_arn is not None
    assert child_arn != run.arn
    child = await run.service.get_record(child_arn)
    assert child.status is ExecutionStatus.SUCCEEDED
    assert child.input_payload == '{"x":21}'
    assert [event.EventType for event in history if event.Id == op.Id] == [
        EventType.CHAINED_INVOKE_STARTED,
        EventType.CHAINED_INVOKE_SUCCEEDED,
    ]


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_plain_target_is_called_once_with_the_payload(asynchronous: bool) -> None:
    calls: list[Any] = []

    def add_one(payload: Any) -> Any:
        calls.append(payload)
        return {"n": payload["n"] + 1}

    async def add_one_async(payload: Any) -> Any:
        return add_one(payload)

    async def handler(event: Any, ctx: DurableContext) -> Any:
        first = await ctx.invoke("add-one", {"n": 1})
        return await ctx.invoke("add-one", first)

    target = add_one_async if asynchronous else add_one
    run = await DurableTestRunner(handler, functions={"add-one": target}).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", {"n": 3})
    assert calls == [{"n": 1}, {"n": 2}]
    assert result.invocations == 3


async def test_a_failing_plain_target_raises_invoke_error_with_its_error() -> None:
    def reject(payload: Any) -> Any:
        raise PermissionError(f"not allowed: {payload}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.invoke("reject", "order-7", name="charge")
        except InvokeError as error:
            return _error_summary(error)
        return "unreachable"

    run = await DurableTestRunner(handler, functions={"reject": reject}).start()
    result = await run.result()

    assert result.result == {
        "class": "InvokeError",
        "type": "PermissionError",
        "message": "not allowed: order-7",
    }
    op = await _invoke_op(run)
    assert op.Status is OperationStatus.FAILED
    assert op.ChainedInvokeDetails is not None
    assert op.ChainedInvokeDetails.Error is not None
    assert op.ChainedInvokeDetails.Error.ErrorType == "PermissionError"


async def test_a_failing_durable_target_fails_the_execution_that_lets_the_error_escape() -> None:
    async def broken(event: Any, ctx: DurableContext) -> Any:
        await ctx.wait(Duration(5))
        raise KeyError("sku-9")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.invoke("broken", None)

    run = await DurableTestRunner(handler, functions={"broken": broken}).start()
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    # As in the official SDK: the escaping error is the InvokeError carrying the target's message.
    assert (result.error.ErrorType, result.error.ErrorMessage) == ("InvokeError", "'sku-9'")
    history = await run.history()
    [failed] = _events(history, EventType.CHAINED_INVOKE_FAILED)
    assert failed.ChainedInvokeFailedDetails is not None


async def test_an_unknown_function_fails_in_the_checkpoint_answer_without_suspending() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.invoke("nobody-home", {})
        except InvokeError as error:
            return _error_summary(error)
        return "unreachable"

    run = await DurableTestRunner(handler, functions={"double": double}).start()
    result = await run.result()

    assert result.invocations == 1
    assert result.result["type"] == "ResourceNotFoundException"
    assert result.result["message"].startswith("Function not found: nobody-home.")
    history = [event.EventType for event in await run.history()]
    assert history[1:3] == [EventType.CHAINED_INVOKE_STARTED, EventType.CHAINED_INVOKE_FAILED]


@pytest.mark.parametrize(
    ("status", "event", "ending"),
    [
        (OperationStatus.TIMED_OUT, EventType.CHAINED_INVOKE_TIMED_OUT, "timed out"),
        (OperationStatus.STOPPED, EventType.CHAINED_INVOKE_STOPPED, "was stopped"),
    ],
)
async def test_a_timed_out_or_stopped_invoke_raises_invoke_error_saying_so(
    status: OperationStatus, event: EventType, ending: str
) -> None:
    calls: list[Any] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.invoke("slow", 1, name="slow-call")
        except InvokeError as error:
            return _error_summary(error)
        return "unreachable"

    run = await DurableTestRunner(handler, functions={"slow": calls.append}).start()
    assert await run.drive_once() is not None  # START, then the invocation suspends
    op = await _invoke_op(run)
    assert op.Status is OperationStatus.STARTED
    error = ErrorObject(ErrorType="ChainedInvoke.Timeout", ErrorMessage="gave up after 60 s")
    await run.service.complete_chained_invoke(run.arn, op.Id, status, error=error)
    result = await run.result()

    assert calls == []  # the service ended it before the runner ran the target
    assert result.result == {
        "class": "InvokeError",
        "type": "ChainedInvoke.Timeout",
        "message": f"the chained invoke of 'slow' {ending}: gave up after 60 s",
    }
    assert len(_events(await run.history(), event)) == 1


async def test_a_timed_out_invoke_without_error_details_still_says_what_happened() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        await ctx.invoke("slow", 1)

    run = await DurableTestRunner(handler, functions={"slow": lambda p: p}).start()
    await run.drive_once()
    op = await _invoke_op(run)
    await run.service.complete_chained_invoke(run.arn, op.Id, OperationStatus.TIMED_OUT)
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorMessage == "the chained invoke of 'slow' timed out"


@pytest.mark.parametrize("always_replay", [False, True])
async def test_replaying_a_finished_invoke_does_not_invoke_the_target_again(
    always_replay: bool,
) -> None:
    plain_calls: list[Any] = []
    durable_runs: list[Any] = []

    async def counted_double(event: Any, ctx: DurableContext) -> Any:
        def record_run(step: Any) -> Any:
            durable_runs.append(event)
            return event

        await ctx.step(record_run, name="record-run")
        return event * 2

    def plain(payload: Any) -> Any:
        plain_calls.append(payload)
        return payload + 1

    async def handler(event: Any, ctx: DurableContext) -> Any:
        a = await ctx.invoke("double", 5, name="durable")
        b = await ctx.invoke("plain", a, name="plain")
        await ctx.wait(Duration(60), name="later")
        again = await ctx.invoke("plain", 100, name="plain-again")
        return [a, b, again]

    functions = {"double": counted_double, "plain": plain}
    runner = DurableTestRunner(handler, always_replay=always_replay, functions=functions)
    run = await runner.start()
    result = await run.result()

    assert result.result == [10, 11, 101]
    assert result.invocations >= 4  # each invoke and the wait suspended, so everything replayed
    assert plain_calls == [10, 100]
    assert durable_runs == [5]  # the child's step ran once, whatever its own replays did
    executions = await run.service.list_executions()
    assert len(executions) == 2  # the caller and one child execution, never a second


async def test_invoke_config_sends_the_tenant_and_uses_the_given_serializers() -> None:
    class Shouting:
        def serialize(self, value: str, context: SerDesContext, /) -> str:
            return f'"{value.upper()}"'

        def deserialize(self, payload: str, context: SerDesContext, /) -> str:
            return payload.strip('"').upper() + "!"

    received: list[Any] = []

    def echo(payload: Any) -> Any:
        received.append(payload)
        return payload.lower()

    config = InvokeConfig(serdes_payload=Shouting(), serdes_result=Shouting(), tenant_id="t-1")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.invoke("echo", "hello", config=config)

    run = await DurableTestRunner(handler, functions={"echo": echo}).start()
    result = await run.result()

    assert received == ["HELLO"]
    assert result.result == "HELLO!"
    [started] = _events(await run.history(), EventType.CHAINED_INVOKE_STARTED)
    assert started.ChainedInvokeStartedDetails is not None
    assert started.ChainedInvokeStartedDetails.TenantId == "t-1"


async def test_a_null_payload_and_result_go_through_as_json_null() -> None:
    seen: list[Any] = ["unset"]

    def echo(payload: Any) -> Any:
        seen[0] = payload
        return payload

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return {"got": await ctx.invoke("echo", None)}

    run = await DurableTestRunner(handler, functions={"echo": echo}).start()
    result = await run.result()

    assert seen == [None]
    assert result.result == {"got": None}


async def test_an_invoke_inside_a_child_context_is_parented_on_it() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        async def inner(child: DurableContext) -> Any:
            return await child.invoke("double", {"x": 2}, name="call")

        return await ctx.run_in_child_context(inner, name="group")

    run = await DurableTestRunner(handler, functions={"double": double}).start()
    result = await run.result()

    assert result.result == {"doubled": 4}
    op = await _invoke_op(run)
    [group] = [o for o in await run.operations_async() if o.Name == "group"]
    assert op.ParentId == group.Id


async def test_a_qualified_name_or_arn_finds_the_function_registered_by_name() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:plus:live"
        return [await ctx.invoke("plus:7", 1), await ctx.invoke(arn, 2)]

    run = await DurableTestRunner(handler, functions={"plus": lambda n: n + 10}).start()
    result = await run.result()

    assert result.result == [11, 12]


@pytest.mark.parametrize("bad", ["", "x" * 257])
async def test_a_function_name_the_service_would_refuse_is_a_validation_error(bad: str) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.invoke(bad, 1)
        except ValidationError as error:
            return error.field
        return "unreachable"

    result = await DurableTestRunner(handler).run()

    assert result.result == "function_name"


def test_a_handler_that_is_neither_durable_nor_of_one_payload_is_refused() -> None:
    def two_args(a: Any, b: Any) -> Any:
        return a

    with pytest.raises(ValidationError, match="functions\\['odd'\\]"):
        DurableTestRunner(double, functions={"odd": two_args})
    with pytest.raises(ValidationError, match="must be a handler"):
        FunctionRegistry({"odd": 42})


async def test_the_start_update_is_the_one_the_official_sdk_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aws_durable_execution_sdk_python.identifier import OperationIdentifier
    from aws_durable_execution_sdk_python.lambda_service import (
        ChainedInvokeOptions as OfficialOptions,
    )
    from aws_durable_execution_sdk_python.lambda_service import (
        OperationType as OfficialType,
    )
    from aws_durable_execution_sdk_python.lambda_service import (
        OperationUpdate as OfficialUpdate,
    )

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.invoke("echo", {"a": [1, 2]}, "call", InvokeConfig(tenant_id="t-9"))

    runner = DurableTestRunner(handler, functions={"echo": lambda p: p})
    sent: list[OperationUpdate] = []
    forward = runner.counting_service.checkpoint

    async def recording(arn: str, token: str, updates: Any, client: Any = None) -> Any:
        sent.extend(updates)
        return await forward(arn, token, updates, client)

    # Records what crosses the port; the real local service still answers.
    monkeypatch.setattr(runner.counting_service, "checkpoint", recording)
    await runner.run()

    [start] = [u for u in sent if u.Type is OperationType.CHAINED_INVOKE]
    official = OfficialUpdate.create_invoke_start(
        identifier=OperationIdentifier(
            start.Id, "ChainedInvoke", None, "call", operation_type=OfficialType.CHAINED_INVOKE
        ),
        payload=json.dumps({"a": [1, 2]}),
        chained_invoke_options=OfficialOptions(function_name="echo", tenant_id="t-9"),
    ).to_dict()
    ours = start.to_wire()
    # The official SDK's JSON has spaces after separators, ours is compact: same JSON value.
    assert json.loads(ours.pop("Payload")) == json.loads(official.pop("Payload"))
    assert ours == official


async def test_stopping_a_blocked_durable_target_stops_the_invoke() -> None:
    async def waits_for_a_human(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        return await callback.result()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            return await ctx.invoke("approve", {"order": 1}, name="approve")
        except InvokeError as error:
            return _error_summary(error)

    run = await DurableTestRunner(handler, functions={"approve": waits_for_a_human}).start()
    with pytest.raises(ExecutionStuckError):
        await run.result()  # the target waits on a callback nobody answers
    [started] = _events(await run.history(), EventType.CHAINED_INVOKE_STARTED)
    assert started.ChainedInvokeStartedDetails is not None
    child_arn = started.ChainedInvokeStartedDetails.DurableExecutionArn
    assert child_arn is not None
    stop = ErrorObject(ErrorType="Stopped", ErrorMessage="operator cancelled the order")
    assert await run.service.stop_execution(child_arn, stop)
    result = await run.result()

    assert result.result == {
        "class": "InvokeError",
        "type": "Stopped",
        "message": "the chained invoke of 'approve' was stopped: operator cancelled the order",
    }
    assert (await _invoke_op(run)).Status is OperationStatus.STOPPED
