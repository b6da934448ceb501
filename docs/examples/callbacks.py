"""The examples of docs/operations/callbacks.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
from typing import Any

import pytest

from durable_lambda import (
    CallbackConfig,
    CallbackError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    DurableContext,
    Duration,
    ErrorObject,
    PlainJsonSerDes,
    RetryPresets,
    ValidationError,
    WaitForCallbackConfig,
    WaitForCallbackContext,
)
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:create]
outbox: list[dict[str, Any]] = []  # stands for an email service, a queue, a ticket system


def send_for_approval(callback_id: str, document: str) -> None:
    outbox.append({"to": "reviewer@example.com", "document": document, "reply_to": callback_id})


async def review(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    callback = await ctx.create_callback(
        name="approval",
        # The answer is the sender's text unless a serializer reads it: here, as JSON.
        config=CallbackConfig(timeout=Duration.from_days(7), serdes=PlainJsonSerDes()),
    )
    await ctx.step(lambda step: send_for_approval(callback.callback_id, event["doc"]), name="ask")
    decision = await callback.result()  # suspends, at no cost, until the answer arrives
    return {"document": event["doc"], "approved": decision["approved"]}


async def test_the_answer_is_the_result() -> None:
    outbox.clear()
    run = await DurableTestRunner(review, always_replay=True).start({"doc": "budget.pdf"})
    callback_id = await run.callback("approval").callback_id()
    await run.callback("approval").succeed({"approved": True})
    result = await run.result()

    assert result.result == {"document": "budget.pdf", "approved": True}
    assert outbox == [
        {"to": "reviewer@example.com", "document": "budget.pdf", "reply_to": callback_id}
    ]


# --8<-- [end:create]


# --8<-- [start:wait-for-callback]
def ask_reviewer(callback_id: str, submitter: WaitForCallbackContext) -> None:
    submitter.logger.info("asking for review", attempt=submitter.attempt)
    outbox.append({"reply_to": callback_id})


async def review_in_one_call(event: dict[str, Any], ctx: DurableContext) -> Any:
    return await ctx.wait_for_callback(
        ask_reviewer,
        name="approval",
        config=WaitForCallbackConfig(
            timeout=Duration.from_days(7),
            heartbeat_timeout=Duration.from_hours(1),
            retry_strategy=RetryPresets.transient(),  # retries ask_reviewer if it raises
        ),
    )


async def test_wait_for_callback_returns_the_answer() -> None:
    outbox.clear()
    run = await DurableTestRunner(review_in_one_call, always_replay=True).start({})
    await run.callback("approval").heartbeat()  # the reviewer is still reading
    await run.callback("approval").succeed("looks good")
    result = await run.result()

    assert result.result == "looks good"
    assert len(outbox) == 1  # the submitter is a step: it ran once
    assert [op.name for op in run.operations(parent="approval")] == [
        "approval create callback id",
        "approval submitter",
    ]


# --8<-- [end:wait-for-callback]


# --8<-- [start:errors]
async def review_with_fallback(event: dict[str, Any], ctx: DurableContext) -> str:
    callback = await ctx.create_callback(
        name="approval", config=CallbackConfig(timeout=Duration.from_hours(24))
    )
    await ctx.step(lambda step: send_for_approval(callback.callback_id, event["doc"]), name="ask")
    try:
        answer = await callback.result()
    except CallbackTimeoutError:
        return "nobody answered within a day"
    except CallbackError as error:  # CallbackExternalError: the sender reported a failure
        return f"refused: {error.reported_error_type}: {error.message}"
    return f"answered: {answer}"


async def test_a_failed_callback_raises_callback_error() -> None:
    run = await DurableTestRunner(review_with_fallback, always_replay=True).start({"doc": "x"})
    await run.callback("approval").fail(
        ErrorObject(ErrorType="Rejected", ErrorMessage="missing signature")
    )
    result = await run.result()
    assert result.result == "refused: Rejected: missing signature"


async def test_an_unanswered_callback_times_out() -> None:
    runner = DurableTestRunner(review_with_fallback, always_replay=True)
    started = runner.clock.now()
    result = await runner.run({"doc": "x"})  # nobody answers: the runner skips to the time-out

    assert result.result == "nobody answered within a day"
    assert (runner.clock.now() - started).total_seconds() >= 86_400


# --8<-- [end:errors]


async def wait_for_callback_failing(event: dict[str, Any], ctx: DurableContext) -> str:
    try:
        await ctx.wait_for_callback(ask_reviewer, name="approval")
    except CallbackError as error:
        return f"{type(error).__name__} {error.error_type}: {error.message}"
    return "answered"


async def test_wait_for_callback_reports_the_failure_as_callback_error() -> None:
    run = await DurableTestRunner(wait_for_callback_failing, always_replay=True).start({})
    await run.callback("approval").fail(ErrorObject(ErrorType="Rejected", ErrorMessage="no"))
    result = await run.result()

    assert result.result == "CallbackExternalError CallbackExternalError: no"
    inner = run.operation("approval create callback id")
    assert inner.error is not None
    assert inner.error.ErrorType == "Rejected"  # the sender's type stays on the CALLBACK


async def test_a_failing_submitter_raises_callback_submitter_error() -> None:
    def broken(callback_id: str, submitter: WaitForCallbackContext) -> None:
        raise ConnectionError("mail server down")

    async def handler(event: dict[str, Any], ctx: DurableContext) -> str:
        config = WaitForCallbackConfig(retry_strategy=RetryPresets.none())
        try:
            await ctx.wait_for_callback(broken, name="approval", config=config)
        except CallbackSubmitterError as error:
            return f"could not ask: {error.message}"
        return "asked"

    result = await DurableTestRunner(handler, always_replay=True).run({})
    assert result.result == "could not ask: mail server down"


def test_the_longest_callback_timeout_is_the_services() -> None:
    assert CallbackConfig(timeout=Duration(99_999_999)).timeout_seconds == 99_999_999
    with pytest.raises(ValidationError, match="must be at most 99999999 seconds"):
        CallbackConfig(timeout=Duration(100_000_000))
