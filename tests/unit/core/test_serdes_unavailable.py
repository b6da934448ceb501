"""A serializer's temporary failure (``SerDesUnavailableError``) retries the invocation.

The serializer here implements the real ``SerDes`` port over JSON and stands for one whose
store of payloads is away for a few calls (throttled, unreachable). Invocations run through the
core's entry point (``run_invocation``) against the local durable service, as Lambda would run
them: one that raises is simply invoked again, with the state the service then holds.

What is checked: the invocation raises the error for Lambda instead of ending FAILED; what
completed before it is checkpointed (in every checkpoint mode, OPTIMISTIC's queue included);
no operation is recorded FAILED; code that catches the error still ends the invocation for a
retry, and nothing it does afterwards is checkpointed; the next invocation replays and
completes. A step whose result could not be written runs again: steps are at least once.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import InvocationError, SerDesError, SerDesUnavailableError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import InvocationOutput, InvocationStatus, OperationStatus
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import RetryHold, deserialize, holding_retries, serialize
from durable_lambda.service.record import ExecutionStatus

Handler = Callable[[Any, DurableContext], Awaitable[Any]]
MODES = list(CheckpointMode)
SUCCEEDED, STARTED = OperationStatus.SUCCEEDED, OperationStatus.STARTED


class FlakySerDes:
    """JSON through the real ``SerDes`` port, from a store that is away for a few calls.

    ``fail_write(value)`` makes the next write of ``value`` fail, and ``read_failures`` the next
    reads, with ``SerDesUnavailableError``, as a serializer over an unreachable store fails.
    """

    def __init__(self) -> None:
        self.unwritable: Counter[str] = Counter()
        self.read_failures = 0

    def fail_write(self, value: Any, times: int = 1) -> None:
        self.unwritable[json.dumps(value)] += times

    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        text = json.dumps(value)
        if self.unwritable[text] > 0:
            self.unwritable[text] -= 1
            raise SerDesUnavailableError(f"the payload store throttled {context.operation_id}")
        return text

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        if self.read_failures > 0:
            self.read_failures -= 1
            raise SerDesUnavailableError(f"the payload store did not answer for {payload!r}")
        return json.loads(payload)


class Lambda:
    """Invokes ``handler`` as Lambda does: again after an invocation that raised."""

    def __init__(self, handler: Handler, serdes: SerDes[Any], mode: CheckpointMode) -> None:
        self.handler = handler
        self.serdes = serdes
        self.options = RuntimeOptions(checkpoint_mode=mode)
        self.clock = FakeClock()
        self.service = LocalDurableService(InMemoryExecutionStore(), self.clock)
        self.arn = ""

    async def start(self) -> None:
        self.arn = await self.service.start_execution("orders", "{}")

    async def invoke(self) -> InvocationOutput:
        event = (await self.service.invocation_input(self.arn)).to_wire()
        output = await run_invocation(
            self.handler,
            parse_invocation_input(event),
            service=self.service,
            serdes=self.serdes,
            clock=self.clock,
            random=random.Random(0),
            logger=NullLogger(),
            options=self.options,
        )
        await self.service.record_invocation(self.arn, self.clock.now(), self.clock.now(), output)
        return output

    async def statuses(self) -> dict[str, OperationStatus]:
        record = await self.service.get_record(self.arn)
        return {op.Name: op.Status for op in record.operations.values() if op.Name}

    async def execution_status(self) -> ExecutionStatus:
        return (await self.service.get_record(self.arn)).status


def counting(runs: Counter[str], name: str, value: Any) -> Callable[[StepContext], Any]:
    def body(step: StepContext) -> Any:
        runs[name] += 1
        return value

    return body


async def three_steps(lam: Lambda, runs: Counter[str]) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        one = await ctx.step(counting(runs, "one", {"n": 1}), name="one")
        two = await ctx.step(counting(runs, "two", {"n": 2}), name="two")
        three = await ctx.step(counting(runs, "three", {"n": 3}), name="three")
        return [one, two, three]

    lam.handler = handler
    await lam.start()


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
async def test_a_write_that_fails_for_now_retries_the_invocation_and_keeps_what_completed(
    mode: CheckpointMode,
) -> None:
    serdes, runs = FlakySerDes(), Counter[str]()
    lam = Lambda(lambda event, ctx: asyncio.sleep(0), serdes, mode)
    await three_steps(lam, runs)
    serdes.fail_write({"n": 2})

    with pytest.raises(SerDesUnavailableError, match="the payload store throttled") as raised:
        await lam.invoke()

    assert isinstance(raised.value, InvocationError)
    assert not isinstance(raised.value, SerDesError)
    assert raised.value.execution_arn == lam.arn  # located, as a SerDesError is
    # Step one's outcome was flushed (even from OPTIMISTIC's queue); step two was started, and
    # is neither SUCCEEDED nor FAILED; nothing after it ran.
    assert await lam.statuses() == {
        "one": OperationStatus.SUCCEEDED,
        "two": OperationStatus.STARTED,
    }
    assert await lam.execution_status() is ExecutionStatus.RUNNING
    assert runs == {"one": 1, "two": 1}

    output = await lam.invoke()

    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert json.loads(output.Result or "") == [{"n": 1}, {"n": 2}, {"n": 3}]
    # At least once: the step whose result could not be written ran again; the others once.
    assert runs == {"one": 1, "two": 2, "three": 1}
    assert set((await lam.statuses()).values()) == {OperationStatus.SUCCEEDED}


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
async def test_a_replayed_read_that_fails_for_now_retries_the_invocation(
    mode: CheckpointMode,
) -> None:
    serdes, runs = FlakySerDes(), Counter[str]()
    lam = Lambda(lambda event, ctx: asyncio.sleep(0), serdes, mode)
    await three_steps(lam, runs)
    serdes.fail_write({"n": 2})
    with pytest.raises(SerDesUnavailableError):
        await lam.invoke()
    serdes.read_failures = 1  # replaying step one's stored result fails, once

    with pytest.raises(
        SerDesUnavailableError, match=re.escape("""did not answer for '{"n": 1}'""")
    ):
        await lam.invoke()

    assert runs == {"one": 1, "two": 1}  # the replay stopped before any body ran
    assert await lam.statuses() == {
        "one": OperationStatus.SUCCEEDED,
        "two": OperationStatus.STARTED,
    }
    output = await lam.invoke()
    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert runs == {"one": 1, "two": 2, "three": 1}


async def test_a_read_back_that_fails_for_now_runs_the_step_again() -> None:
    serdes, runs = FlakySerDes(), Counter[str]()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.step(counting(runs, "one", {"n": 1}), name="one")

    lam = Lambda(handler, serdes, CheckpointMode.BATCHED)
    await lam.start()
    serdes.read_failures = 1  # the read-back of the result just written

    with pytest.raises(SerDesUnavailableError):
        await lam.invoke()

    assert await lam.statuses() == {"one": OperationStatus.STARTED}
    output = await lam.invoke()
    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert runs == {"one": 2}


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
async def test_code_that_catches_it_still_ends_the_invocation_and_checkpoints_nothing_after(
    mode: CheckpointMode,
) -> None:
    serdes, runs = FlakySerDes(), Counter[str]()
    caught: list[BaseException] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        one = await ctx.step(counting(runs, "one", {"n": 1}), name="one")
        try:
            two = await ctx.step(counting(runs, "two", {"n": 2}), name="two")
        except Exception as error:  # the code takes the failure for good and goes another way
            caught.append(error)
            try:
                two = await ctx.step(counting(runs, "fallback", "plan B"), name="fallback")
            except Exception as again:
                caught.append(again)
                two = "plan C"  # and returns as if it had succeeded
        return [one, two]

    lam = Lambda(handler, serdes, mode)
    await lam.start()
    serdes.fail_write({"n": 2})

    with pytest.raises(SerDesUnavailableError):
        await lam.invoke()

    assert [type(error) for error in caught] == [SerDesUnavailableError] * 2
    assert runs == {"one": 1, "two": 1}  # the fallback step was refused before its body
    assert await lam.statuses() == {
        "one": OperationStatus.SUCCEEDED,
        "two": OperationStatus.STARTED,
    }
    output = await lam.invoke()
    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert json.loads(output.Result or "") == [{"n": 1}, {"n": 2}]
    assert runs == {"one": 1, "two": 2}
    assert "fallback" not in await lam.statuses()


async def test_gather_with_return_exceptions_does_not_keep_it_from_ending_the_invocation() -> None:
    serdes, runs = FlakySerDes(), Counter[str]()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        results = await asyncio.gather(
            ctx.step(counting(runs, "one", {"n": 1}), name="one"),
            ctx.step(counting(runs, "two", {"n": 2}), name="two"),
            return_exceptions=True,
        )
        return [repr(result) for result in results]

    lam = Lambda(handler, serdes, CheckpointMode.BATCHED)
    await lam.start()
    serdes.fail_write({"n": 2})

    with pytest.raises(SerDesUnavailableError):
        await lam.invoke()

    statuses = await lam.statuses()
    assert statuses["two"] is OperationStatus.STARTED
    assert OperationStatus.FAILED not in statuses.values()
    output = await lam.invoke()
    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert json.loads(output.Result or "") == ["{'n': 1}", "{'n': 2}"]
    assert runs["two"] == 2
    assert runs["one"] in (1, 2)  # at least once: its outcome may have been queued behind two's


async def test_a_child_context_that_swallows_it_is_not_recorded_with_the_fallback() -> None:
    serdes, runs = FlakySerDes(), Counter[str]()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        async def child(inner: DurableContext) -> Any:
            try:
                return await inner.step(counting(runs, "two", {"n": 2}), name="two")
            except Exception:
                return "fallback"

        return await ctx.run_in_child_context(child, name="child")

    lam = Lambda(handler, serdes, CheckpointMode.BATCHED)
    await lam.start()
    serdes.fail_write({"n": 2})

    with pytest.raises(SerDesUnavailableError):
        await lam.invoke()

    assert await lam.statuses() == {
        "child": OperationStatus.STARTED,
        "two": OperationStatus.STARTED,
    }
    output = await lam.invoke()
    assert output.Status is InvocationStatus.SUCCEEDED, output.Error
    assert json.loads(output.Result or "") == {"n": 2}


def test_serialize_and_deserialize_pass_it_on_unchanged_and_hold_it() -> None:
    serdes = FlakySerDes()
    serdes.fail_write("x")
    serdes.read_failures = 1
    context = SerDesContext("op-7", "arn:e")
    hold = RetryHold()

    with holding_retries(hold):
        with pytest.raises(SerDesUnavailableError) as written:
            serialize(serdes, "x", context)
        with pytest.raises(SerDesUnavailableError):
            deserialize(serdes, '"x"', context)

    assert written.value.operation_id == "op-7"
    assert hold.error is written.value  # the first one is the one kept
    # Outside an invocation it passes on all the same, held nowhere.
    serdes.fail_write("x")
    with pytest.raises(SerDesUnavailableError):
        serialize(serdes, "x", context)
    # Any other failure of the serializer stays a SerDesError.
    with pytest.raises(SerDesError):
        serialize(serdes, {1, 2}, context)
