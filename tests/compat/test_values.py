"""Values that cross the SDK boundary: dataclasses written by steps, answers of callbacks, and a
pass-through step's None."""

from __future__ import annotations

import dataclasses
from typing import Any

from oracle import CORPUS, load_ours

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
from durable_lambda.app.replayer import from_document
from durable_lambda.core.model import OperationStatus
from durable_lambda.testing import DurableTestRunner, Replayer


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


async def test_a_dataclass_inside_a_step_result_fails_that_step_and_keeps_the_steps_before() -> (
    None
):
    refusals: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        kept = await ctx.step(lambda _: {"kept": 1}, name="before")
        try:
            await ctx.step(lambda _: {"orders": [Order("o-1", 3)]}, name="orders")
        except SerDesError as error:
            refusals.append(str(error))
        await ctx.step(lambda _: 1, name="after")  # a later operation: the step is replayed
        return kept

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == {"kept": 1}
    assert run.step("before").operation.result_payload == '{"kept":1}'
    orders = run.step("orders")
    assert orders.status is OperationStatus.FAILED
    assert orders.attempts == 1
    assert orders.operation.result_payload is None  # nothing was written as a dict
    assert orders.error is not None
    assert orders.error.ErrorType == "SerDesError"
    recorded = orders.error.ErrorMessage or ""
    assert f"'{__name__}.Order'" in recorded
    assert "value['orders'][0]" in recorded
    # The same refusal when the step first ran and on every replay after it.
    assert len(refusals) >= 2
    assert set(refusals) == {recorded}


async def test_a_dataclass_inside_a_typed_step_result_round_trips_by_type() -> None:
    kinds: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = StepConfig(serdes=JsonSerDes(result_type=dict[str, list[Order]]))
        orders = await ctx.step(lambda _: {"orders": [Order("o-1", 3)]}, "orders", config)
        kinds.append(type(orders["orders"][0]).__name__)
        await ctx.step(lambda _: 1, name="after")
        return len(orders["orders"])

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.result == 1
    assert set(kinds) == {"Order"}
    assert run.step("orders").operation.result_payload == '{"orders":[{"id":"o-1","total":3}]}'


async def test_a_pass_through_step_that_returns_none_is_recorded_without_a_payload() -> None:
    seen: list[object] = []

    def nothing(_: object) -> object:
        return None  # a step that only has side effects

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = StepConfig(serdes=PassThroughSerDes())
        value: object = await ctx.step(nothing, name="nothing", config=config)
        seen.append(value)
        await ctx.step(lambda _: 1, name="after")  # a later operation: the step is replayed
        return value

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result is None
    step = run.step("nothing")
    assert step.status is OperationStatus.SUCCEEDED
    assert step.operation.result_payload is None  # as the official SDK records it
    assert len(seen) == result.invocations >= 2  # first run and replays
    assert seen == [None] * len(seen)


async def test_ours_replays_the_official_sdks_record_of_a_pass_through_none_step(
    official_results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # The corpus handler names its next step after the value it read ("after None"), so
    # reading the official record's payload-less step as anything but None diverges.
    recorded = official_results["values_and_helpers", "pass_through_none"]["operations"]
    nothing = next(op for op in recorded if op.get("Name") == "nothing")
    assert "Result" not in nothing["StepDetails"]  # the official SDK records no payload
    handler = load_ours(CORPUS / "values_and_helpers.py").handler
    document = from_document({"Operations": recorded}, arn="arn:official-record")

    report = await Replayer(handler).replay(document)

    assert report.ok, report.render()
    assert (report.ended, report.matched, report.expected) == ("returned", 2, 2)


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
