"""None written through ``PassThroughSerDes`` by every operation that writes a user's value.

The official SDK's pass-through hands None back as the payload, so the operation is recorded with
no payload, and every read of no payload is None. Each handler here runs with ``always_replay``
(every invocation ends after each new operation), so the value is also read back from the record
by later invocations; each records what every invocation saw.
"""

from __future__ import annotations

from typing import Any

import pytest

from durable_lambda import (
    ChildConfig,
    DurableContext,
    Duration,
    InvokeConfig,
    MapConfig,
    NestingType,
    ParallelConfig,
    PassThroughSerDes,
    SerDesError,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.retry import WaitForConditionDecision
from durable_lambda.service.history import EventType
from durable_lambda.testing import DurableTestRunner, TestExecution

TEXT = PassThroughSerDes()


async def _named(run: TestExecution, name: str) -> Any:
    [op] = [op for op in await run.operations_async() if op.Name == name]
    return op


async def test_a_child_context_that_returns_none_is_recorded_without_a_payload() -> None:
    seen: list[object] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        async def quiet(child: DurableContext) -> None:
            await child.step(lambda _: 1, name="inside")

        value: object = await ctx.run_in_child_context(quiet, "child", ChildConfig(serdes=TEXT))
        seen.append(value)
        await ctx.step(lambda _: 2, name="after")
        return value

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", None)
    child = await _named(run, "child")
    assert child.Status is OperationStatus.SUCCEEDED
    assert child.result_payload is None
    assert len(seen) >= 2  # the first run and a replay that read the record
    assert seen == [None] * len(seen)


async def test_a_virtual_child_context_that_returns_none_gives_none() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        flat = ChildConfig(serdes=TEXT, is_virtual=True)
        return {"value": await ctx.run_in_child_context(lambda _: _none(), "child", flat)}

    result = await DurableTestRunner(handler).run()

    assert (result.status, result.result) == ("SUCCEEDED", {"value": None})


async def _none() -> None:
    return None


@pytest.mark.parametrize("nesting", list(NestingType))
async def test_map_items_that_return_none_are_recorded_without_a_payload(
    nesting: NestingType,
) -> None:
    seen: list[list[Any]] = []

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> None:
        await ctx.step(lambda _: value, name=f"touch-{value}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = MapConfig(item_serdes=TEXT, nesting_type=nesting)
        results = (await ctx.map([1, 2], item, name="items", config=config)).get_results()
        seen.append(results)
        await ctx.step(lambda _: 3, name="after")
        return results

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", [None, None])
    assert seen == [[None, None]] * len(seen)
    iterations = [o for o in await run.operations_async() if o.SubType == "MapIteration"]
    assert len(iterations) == (2 if nesting is NestingType.NESTED else 0)
    assert all(op.result_payload is None for op in iterations)


async def test_a_parallel_branch_that_returns_none_is_recorded_without_a_payload() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = ParallelConfig(item_serdes=TEXT)
        branches = [lambda _: _none(), lambda _: _text("kept")]
        result = await ctx.parallel(branches, name="branches", config=config)
        await ctx.step(lambda _: 1, name="after")
        return result.get_results()

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", [None, "kept"])
    payloads = {
        op.Name: op.result_payload
        for op in await run.operations_async()
        if op.SubType == "ParallelBranch"
    }
    assert payloads == {"parallel-branch-0": None, "parallel-branch-1": "kept"}


async def _text(value: str) -> str:
    return value


async def test_a_condition_whose_state_is_none_polls_and_succeeds_without_a_payload() -> None:
    states: list[object] = []

    def check(state: object, _: Any) -> None:
        states.append(state)

    def twice(state: object, attempt: int) -> WaitForConditionDecision:
        if attempt >= 2:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config: WaitForConditionConfig[Any] = WaitForConditionConfig(twice, None, serdes=TEXT)
        return {"state": await ctx.wait_for_condition(check, config, name="poll")}

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", {"state": None})
    assert states == [None, None]  # each poll starts from the last one's (absent) state
    poll = await _named(run, "poll")
    assert (poll.Status, poll.result_payload) == (OperationStatus.SUCCEEDED, None)
    assert poll.StepDetails.Attempt == 2  # polled again after a RETRY without a payload


async def test_an_invoke_of_none_under_pass_through_starts_without_a_payload() -> None:
    received: list[object] = []

    def target(payload: Any) -> str:
        received.append(payload)
        return "called"

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = InvokeConfig(serdes_payload=TEXT)
        return await ctx.invoke("target", None, name="call", config=config)

    run = await DurableTestRunner(handler, functions={"target": target}).start()
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", "called")
    [started] = [e for e in await run.history() if e.EventType is EventType.CHAINED_INVOKE_STARTED]
    details = started.ChainedInvokeStartedDetails
    assert details is not None
    assert details.Input is None or details.Input.Payload is None
    assert received == [None]


async def test_a_wait_for_callback_submitter_that_returns_none_stores_no_payload() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(serdes=TEXT)
        return await ctx.wait_for_callback(lambda callback_id, _: None, "review", config)

    run = await DurableTestRunner(handler, always_replay=True).start()
    await run.callback("review").succeed("approved")
    result = await run.result()

    assert (result.status, result.result) == ("SUCCEEDED", "approved")
    submitter = await _named(run, "review submitter")
    assert submitter.Type is OperationType.STEP
    # As the official SDK records it; "null" here would read back as the text "null".
    assert (submitter.Status, submitter.result_payload) == (OperationStatus.SUCCEEDED, None)


async def test_pass_through_still_writes_text_as_it_is_and_refuses_other_values() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = ChildConfig(serdes=TEXT)
        empty = await ctx.run_in_child_context(lambda _: _text(""), "empty", config)
        try:
            await ctx.run_in_child_context(lambda _: _number(), "number", config)
        except SerDesError as error:
            return {"empty": empty, "refused": str(error)}
        return {"empty": empty, "refused": None}

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    # "" is text: written as an empty payload, not as None.
    assert result.result["empty"] == ""
    assert (await _named(run, "empty")).result_payload == ""
    assert "str values only, not 'int'" in result.result["refused"]


async def _number() -> int:
    return 3
