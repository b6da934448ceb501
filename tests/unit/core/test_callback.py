"""create_callback and Callback.result(), driven through the in-memory DurableTestRunner."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner, ExecutionStuckError
from durable_lambda.core.config import CallbackConfig, CheckpointMode, Duration
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    ValidationError,
)
from durable_lambda.core.model import ErrorObject, OperationStatus, OperationType
from durable_lambda.core.operations.callback import PlainJsonSerDes
from durable_lambda.core.serdes import JsonSerDes, PassThroughSerDes
from durable_lambda.service.callbacks import CallbackClosedError
from durable_lambda.service.history import EventType


def _error_summary(error: CallbackError) -> dict[str, Any]:
    return {
        "class": type(error).__name__,
        "is_callback_error": isinstance(error, CallbackError),
        "timed_out": error.timed_out,
        "error_type": error.error_type,
        "reported_error_type": error.reported_error_type,
        "message": error.message,
        "data": error.data,
    }


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_result_returns_the_payload_the_sender_sent(mode: CheckpointMode) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        return {"id": callback.callback_id, "answer": await callback.result()}

    runner = DurableTestRunner(handler, checkpoint_mode=mode)
    run = await runner.start()
    callback_id = await run.callback("approval").callback_id()
    await run.callback("approval").succeed('{"approved": true, "by": "ana"}')
    result = await run.result()

    assert result.status == "SUCCEEDED"
    # The answer is external data: handed over as the sender's text, as the official SDK does.
    assert result.result == {"id": callback_id, "answer": '{"approved": true, "by": "ana"}'}
    assert result.invocations == 2
    [callback] = run.operations(type=OperationType.CALLBACK)
    assert callback.status is OperationStatus.SUCCEEDED
    assert callback.operation.SubType == "Callback"


async def test_the_callback_id_is_the_same_on_every_replay_and_start_is_sent_once() -> None:
    seen_ids: list[str] = []
    after_creation: list[int] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        seen_ids.append(callback.callback_id)
        after_creation.append(1)  # code between creation and result() runs on every replay
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("yes")
    result = await run.result()

    assert result.result == "yes"
    assert len(seen_ids) == 2
    assert seen_ids[0] == seen_ids[1]
    assert len(after_creation) == 2
    started = [e for e in await run.history() if e.EventType is EventType.CALLBACK_STARTED]
    assert len(started) == 1


async def test_every_callback_gets_its_own_id() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        first = await ctx.create_callback("first")
        second = await ctx.create_callback("second")
        unnamed = await ctx.create_callback()
        return [first.callback_id, second.callback_id, unnamed.callback_id]

    result = await DurableTestRunner(handler).run()

    assert result.status == "SUCCEEDED"
    assert len(set(result.result)) == 3
    assert all(result.result)


async def test_a_failed_callback_raises_callback_error_with_the_senders_error() -> None:
    created: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        created.append(callback.callback_id)  # creation itself never raises for the outcome
        try:
            await callback.result()
        except CallbackExternalError as error:
            return _error_summary(error)
        return "unreachable"

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").fail(
        ErrorObject(ErrorType="RejectedError", ErrorMessage="not approved", ErrorData='{"n":1}')
    )
    result = await run.result()

    # The official SDK's CallbackExternalError: its class as error_type; the sender's own type
    # is kept as reported_error_type.
    assert result.result == {
        "class": "CallbackExternalError",
        "is_callback_error": True,
        "timed_out": False,
        "error_type": "CallbackExternalError",
        "reported_error_type": "RejectedError",
        "message": "not approved",
        "data": '{"n":1}',
    }
    assert len(created) == 2


async def test_an_uncaught_callback_failure_fails_the_execution() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").fail(
        ErrorObject(ErrorType="RejectedError", ErrorMessage="not approved")
    )
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorMessage == "not approved"
    events = [e.EventType for e in await run.history()]
    assert EventType.CALLBACK_FAILED in events
    assert events[-1] is EventType.EXECUTION_FAILED


async def test_a_failure_without_a_message_gets_a_default_one() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        try:
            await callback.result()
        except CallbackError as error:
            return error.message
        return "unreachable"

    run = await DurableTestRunner(handler).start()
    callback_id = await run.callback("approval").callback_id()
    await run.service.send_callback_failure(callback_id, None)
    run.pending_work = True
    assert (await run.result()).result == "Callback failed"


async def test_skipping_past_the_timeout_raises_callback_timeout_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback(
            "approval", CallbackConfig(timeout=Duration.from_minutes(30))
        )
        try:
            await callback.result()
        except CallbackTimeoutError as error:
            return _error_summary(error)
        return "unreachable"

    runner = DurableTestRunner(handler)
    run = await runner.start()
    started = runner.clock.now()
    result = await run.result()

    assert result.result == {
        "class": "CallbackTimeoutError",
        "is_callback_error": True,
        "timed_out": True,
        "error_type": "CallbackTimeoutError",
        "reported_error_type": "Callback.Timeout",
        "message": "Callback timed out",
        "data": None,
    }
    assert (runner.clock.now() - started).total_seconds() == 30 * 60
    [event] = [e for e in await run.history() if e.EventType is EventType.CALLBACK_TIMED_OUT]
    assert event.Name == "approval"


async def test_a_missed_heartbeat_times_the_callback_out() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = CallbackConfig(timeout=Duration.from_hours(1), heartbeat_timeout=Duration(10))
        callback = await ctx.create_callback("job", config)
        try:
            return await callback.result()
        except CallbackError as error:
            return _error_summary(error)

    runner = DurableTestRunner(handler)
    run = await runner.start()
    result = await run.result()

    assert result.result["class"] == "CallbackTimeoutError"
    assert result.result["timed_out"] is True
    assert result.result["error_type"] == "CallbackTimeoutError"
    assert result.result["reported_error_type"] == "Callback.Heartbeat"


async def test_heartbeats_keep_the_callback_alive_past_the_heartbeat_timeout() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("job", CallbackConfig(heartbeat_timeout=Duration(10)))
        return await callback.result()

    runner = DurableTestRunner(handler)
    run = await runner.start()
    handle = run.callback("job")
    await handle.callback_id()
    runner.clock.advance(8)
    await handle.heartbeat()
    runner.clock.advance(8)  # 16 s after creation: alive only thanks to the heartbeat
    await handle.succeed("done")
    assert (await run.result()).result == "done"


async def test_without_heartbeats_a_late_answer_is_refused() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("job", CallbackConfig(heartbeat_timeout=Duration(10)))
        return await callback.result()

    runner = DurableTestRunner(handler)
    run = await runner.start()
    handle = run.callback("job")
    await handle.callback_id()
    runner.clock.advance(16)
    with pytest.raises(CallbackClosedError):
        await handle.succeed("too late")


async def test_start_carries_the_timeouts_and_history_shows_the_callback_lifecycle() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = CallbackConfig(timeout=Duration(300), heartbeat_timeout=Duration(60))
        callback = await ctx.create_callback("approval", config)
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    callback_id = await run.callback("approval").callback_id()
    await run.callback("approval").succeed("ok")
    await run.result()

    events = [e for e in await run.history() if e.Id is not None and e.Name == "approval"]
    assert [e.EventType for e in events] == [
        EventType.CALLBACK_STARTED,
        EventType.CALLBACK_SUCCEEDED,
    ]
    started, succeeded = events
    assert started.SubType == "Callback"
    assert started.CallbackStartedDetails is not None
    assert started.CallbackStartedDetails.CallbackId == callback_id
    assert started.CallbackStartedDetails.Timeout == 300
    assert started.CallbackStartedDetails.HeartbeatTimeout == 60
    assert succeeded.CallbackSucceededDetails is not None
    assert succeeded.CallbackSucceededDetails.Result is not None
    assert succeeded.CallbackSucceededDetails.Result.Payload == "ok"


async def test_a_custom_sub_type_is_recorded() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval", CallbackConfig(sub_type="Approval"))
        return callback.callback_id

    run = await DurableTestRunner(handler).start()
    await run.result()
    [callback] = run.operations(type=OperationType.CALLBACK)
    assert callback.operation.SubType == "Approval"


async def test_the_configured_serdes_reads_the_answer() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("raw", CallbackConfig(serdes=PassThroughSerDes()))
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("raw").succeed({"a": 1})
    assert (await run.result()).result == '{"a": 1}'


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"approved": true}', '{"approved": true}'),
        ("successful", "successful"),  # plain text, as the official examples' tests send
        ('{"t": "d", "v": "1.50"}', '{"t": "d", "v": "1.50"}'),  # never read as our envelope
        ('{"t":"m","v":{"a":{"t":"i","v":1}}}', '{"t":"m","v":{"a":{"t":"i","v":1}}}'),
    ],
)
async def test_by_default_the_answer_is_the_senders_text_whatever_it_looks_like(
    answer: str, expected: str
) -> None:
    # The execution's own serializer writes and reads operations' payloads, never answers.
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed(answer)
    result = await run.result()
    assert result.status == "SUCCEEDED"
    assert result.result == expected


async def test_decoded_json_is_an_explicit_choice_that_ignores_envelope_look_alikes() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = CallbackConfig(serdes=PlainJsonSerDes())
        callback = await ctx.create_callback("approval", config)
        answer = await callback.result()
        return {"answer": answer, "type": type(answer).__name__}

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed('{"t": "d", "v": "1.50"}')
    result = await run.result()
    assert result.result == {"answer": {"t": "d", "v": "1.50"}, "type": "dict"}


async def test_a_plain_text_answer_to_a_json_callback_fails_with_a_clear_serdes_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval", CallbackConfig(serdes=PlainJsonSerDes()))
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("successful")
    result = await run.result()
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "SerDesError"
    assert "'successful' is not JSON" in (result.error.ErrorMessage or "")


async def test_the_execution_serdes_no_longer_reads_answers() -> None:
    # Before, an answer went through the execution's serializer: {"t": "d", ...} became a
    # Decimal. A JsonSerDes named explicitly on the callback still reads it that way.
    async def handler(event: Any, ctx: DurableContext) -> Any:
        default = await (await ctx.create_callback("default")).result()
        chosen = await (
            await ctx.create_callback("chosen", CallbackConfig(serdes=JsonSerDes()))
        ).result()
        return [default, str(chosen), type(chosen).__name__]

    run = await DurableTestRunner(handler).start()
    await run.callback("default").succeed('{"t": "d", "v": "1.50"}')
    await run.callback("chosen").succeed('{"t": "d", "v": "1.50"}')
    result = await run.result()
    assert result.result == ['{"t": "d", "v": "1.50"}', "1.50", "Decimal"]


@pytest.mark.parametrize("payload", [None, ""])
async def test_an_answer_without_payload_reads_as_none(payload: str | None) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("empty")
        return {"answer": await callback.result()}

    run = await DurableTestRunner(handler).start()
    callback_id = await run.callback("empty").callback_id()
    await run.service.send_callback_success(callback_id, payload)
    run.pending_work = True
    result = await run.result()
    assert result.status == "SUCCEEDED"
    assert result.result == {"answer": None}


async def test_result_can_be_awaited_more_than_once() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("twice")
        return [await callback.result(), await callback.result()]

    run = await DurableTestRunner(handler).start()
    await run.callback("twice").succeed(7)
    assert (await run.result()).result == ["7", "7"]


async def test_gathering_two_callbacks_suspends_until_both_are_answered() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        first = await ctx.create_callback("a")
        second = await ctx.create_callback("b")
        return list(await asyncio.gather(first.result(), second.result()))

    run = await DurableTestRunner(handler).start()
    await run.callback("b").callback_id()
    await run.callback("a").succeed("A")
    with pytest.raises(ExecutionStuckError):
        await run.result()  # re-invoked once, and still waiting for "b"
    assert len(run.invocations) == 2
    assert [i.Status.value for i in run.invocations] == ["PENDING", "PENDING"]

    await run.callback("b").succeed("B")
    result = await run.result()
    assert result.status == "SUCCEEDED"
    assert result.result == ["A", "B"]


def test_a_negative_timeout_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        CallbackConfig(timeout=Duration(-1))
    with pytest.raises(ValidationError):
        CallbackConfig(heartbeat_timeout=Duration.from_minutes(-5))


async def test_a_bad_config_in_a_handler_fails_the_execution_with_a_validation_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("x", CallbackConfig(timeout=Duration(-30)))
        return callback.callback_id

    result = await DurableTestRunner(handler).run()
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "ValidationError"


async def test_a_renamed_callback_on_replay_fails_as_non_deterministic() -> None:
    names = iter(["approval", "renamed"])

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback(next(names))
        return await callback.result()

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("ok")
    result = await run.result()
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"


async def test_a_name_reused_in_a_loop_is_answered_one_callback_at_a_time() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        answers = []
        for _ in range(3):
            callback = await ctx.create_callback("review")
            answers.append(await callback.result())
        return answers

    run = await DurableTestRunner(handler).start()
    for answer in ("draft", "revised", "final"):
        await run.callback("review").succeed(answer)
    result = await run.result()

    assert result.result == ["draft", "revised", "final"]
    assert len({op.id for op in run.operations(type=OperationType.CALLBACK)}) == 3
