"""Values that cross the SDK boundary: dataclasses written by steps, answers of callbacks."""

from __future__ import annotations

import dataclasses
from typing import Any

from durable_lambda import (
    CallbackConfig,
    DurableContext,
    JsonSerDes,
    PassThroughSerDes,
    PlainJsonSerDes,
    SerDesError,
    StepConfig,
    WaitForCallbackConfig,
)
from durable_lambda.core.model import OperationStatus
from durable_lambda.testing import DurableTestRunner


@dataclasses.dataclass(frozen=True)
class Order:
    id: str
    total: int


async def test_a_dataclass_written_untyped_fails_the_step_with_serdes_error_on_every_replay() -> (
    None
):
    seen: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.step(lambda _: Order("o-1", 3), name="order")
        except SerDesError as error:
            seen.append(type(error).__name__)
        await ctx.step(lambda _: 1, name="after")  # a later operation: the step is replayed
        return "handled"

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.result == "handled"
    assert len(seen) == result.invocations >= 2  # the same error, first run and replays
    assert set(seen) == {"SerDesError"}
    order = run.step("order")
    assert order.status is OperationStatus.FAILED
    assert order.error is not None
    assert order.error.ErrorType == "SerDesError"
    assert "without a result_type" in (order.error.ErrorMessage or "")
    assert order.attempts == 1  # no retry could write it either


async def test_an_uncaught_unwritable_result_fails_the_execution_with_serdes_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.step(lambda _: Order("o-1", 3), name="order")

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "SerDesError"


async def test_a_dataclass_round_trips_by_type_with_a_typed_serializer() -> None:
    kinds: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = StepConfig(serdes=JsonSerDes(result_type=Order))
        order = await ctx.step(lambda _: Order("o-1", 3), name="order", config=config)
        kinds.append(type(order).__name__)
        await ctx.step(lambda _: 1, name="after")
        return dataclasses.asdict(order)

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.result == {"id": "o-1", "total": 3}
    assert set(kinds) == {"Order"}  # first run and every replay
    assert run.step("order").operation.result_payload == '{"id":"o-1","total":3}'


async def test_a_pass_through_wait_for_callback_whose_submitter_returns_nothing() -> None:
    # PassThroughSerDes is the official way to keep an answer as text; it also stores the
    # submitter's result, which is None whenever the submitter only sends the id.
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(serdes=PassThroughSerDes())
        return await ctx.wait_for_callback(lambda callback_id, _: None, "review", config)

    run = await DurableTestRunner(handler, always_replay=True).start()
    await run.callback("review").succeed("approved")
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "approved"
    assert run.step("review submitter").status is OperationStatus.SUCCEEDED


async def test_a_pass_through_submitter_that_returns_text_stores_it_as_is() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(serdes=PassThroughSerDes())
        return await ctx.wait_for_callback(lambda callback_id, _: "sent", "review", config)

    run = await DurableTestRunner(handler).start()
    await run.callback("review").succeed("ok")
    await run.result()
    assert run.step("review submitter").operation.result_payload == "sent"


async def test_a_json_answer_is_decoded_only_when_asked_for() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        raw = await (await ctx.create_callback("raw")).result()
        config = CallbackConfig(serdes=PlainJsonSerDes())
        decoded = await (await ctx.create_callback("decoded", config)).result()
        waited = await ctx.wait_for_callback(
            lambda callback_id, _: None, "waited", WaitForCallbackConfig(serdes=PlainJsonSerDes())
        )
        return [raw, decoded, waited]

    run = await DurableTestRunner(handler).start()
    for name in ("raw", "decoded", "waited"):
        await run.callback(name).succeed('{"ok": 1}')
    result = await run.result()
    assert result.result == ['{"ok": 1}', {"ok": 1}, {"ok": 1}]
