"""Instrumentation plugins: which hooks fire, in what order, with what; and their isolation."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from durable_lambda import (
    AttemptInfo,
    AttemptOutcome,
    BasePlugin,
    CompletionConfig,
    DurableContext,
    Duration,
    InvocationEndInfo,
    InvocationEndStatus,
    InvocationStartInfo,
    MapConfig,
    OperationInfo,
    OperationStatus,
    OperationType,
    RetryDecision,
    RetryPresets,
    StepConfig,
    StepContext,
    durable_execution,
)
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.logging.capturing import CapturingLogger
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.execution import run_invocation
from durable_lambda.core.model import InvocationInput
from durable_lambda.core.plugins import PluginDispatcher
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.core.state import OperationIdentity
from durable_lambda.testing import DurableTestRunner

Event = tuple[Any, ...]


class Recorder(BasePlugin):
    """Records every hook as a compact tuple."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.infos: list[object] = []

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        self.infos.append(info)
        self.events.append(("invocation-start", info.is_first_invocation))

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        self.infos.append(info)
        self.events.append(("invocation-end", info.status.value))

    def on_operation_start(self, info: OperationInfo) -> None:
        self.infos.append(info)
        self.events.append(("op-start", info.operation_type.value, info.name, info.status.value))

    def on_operation_end(self, info: OperationInfo) -> None:
        self.infos.append(info)
        self.events.append(("op-end", info.operation_type.value, info.name, info.status.value))

    def on_attempt_start(self, info: AttemptInfo) -> None:
        self.infos.append(info)
        self.events.append(("attempt-start", info.name, info.attempt))

    def on_attempt_end(self, info: AttemptInfo) -> None:
        self.infos.append(info)
        outcome = info.outcome.value if info.outcome else None
        self.events.append(("attempt-end", info.name, info.attempt, outcome))


class Faulty:
    """Implements every hook, and every hook raises (a duck-typed plugin, no base class)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def fail(info: object) -> None:
            self.calls.append(hook)
            raise RuntimeError(f"{hook} is broken")

        return fail


def _once_then(result: str) -> Any:
    def body(step: StepContext) -> str:
        if step.attempt == 1:
            raise ValueError("first attempt fails")
        return result

    return body


def _retry_after_one_second(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision(should_retry=attempt < 3, delay=Duration(1))


async def test_one_invocation_reports_each_hook_once_in_order() -> None:
    recorder = Recorder()

    async def handler(event: str, ctx: DurableContext) -> str:
        return await ctx.step(lambda _: f"Hello, {event}!", name="greet")

    result = await DurableTestRunner(handler, plugins=[recorder]).run("Ada")

    assert result.result == "Hello, Ada!"
    assert recorder.events == [
        ("invocation-start", True),
        ("op-start", "STEP", "greet", "STARTED"),
        ("attempt-start", "greet", 1),
        ("attempt-end", "greet", 1, "SUCCEEDED"),
        ("op-end", "STEP", "greet", "SUCCEEDED"),
        ("invocation-end", "SUCCEEDED"),
    ]


async def test_infos_carry_the_ids_the_history_records() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> None:
        async def inner(child: DurableContext) -> str:
            return await child.step(lambda _: "x", name="inner-step")

        await ctx.run_in_child_context(inner, name="outer")

    runner = DurableTestRunner(handler, plugins=[recorder])
    execution = await runner.start()
    await execution.result()
    recorded = {op.Name: op for op in await execution.operations_async()}

    starts = [i for i in recorder.infos if isinstance(i, OperationInfo)]
    by_name = {info.name: info for info in starts}
    assert by_name["outer"].operation_id == recorded["outer"].Id
    assert by_name["outer"].sub_type == "RunInChildContext"
    assert by_name["inner-step"].operation_id == recorded["inner-step"].Id
    assert by_name["inner-step"].parent_id == recorded["outer"].Id
    arns = {info.execution_arn for info in recorder.infos}  # type: ignore[attr-defined]
    assert arns == {execution.arn}


async def test_a_retried_step_reports_attempts_across_invocations() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> str:
        config = StepConfig(retry_strategy=_retry_after_one_second)
        return await ctx.step(_once_then("done"), name="flaky", config=config)

    result = await DurableTestRunner(handler, plugins=[recorder]).run()

    assert result.result == "done"
    assert recorder.events == [
        ("invocation-start", True),
        ("op-start", "STEP", "flaky", "STARTED"),
        ("attempt-start", "flaky", 1),
        ("attempt-end", "flaky", 1, "FAILED"),
        ("invocation-end", "PENDING"),
        ("invocation-start", False),
        ("op-start", "STEP", "flaky", "STARTED"),  # the due retry checkpoints START again
        ("attempt-start", "flaky", 2),
        ("attempt-end", "flaky", 2, "SUCCEEDED"),
        ("op-end", "STEP", "flaky", "SUCCEEDED"),
        ("invocation-end", "SUCCEEDED"),
    ]
    failed = [i for i in recorder.infos if isinstance(i, AttemptInfo) and i.error is not None]
    assert [(i.attempt, i.error.ErrorType) for i in failed if i.error] == [(1, "ValueError")]


async def test_replayed_operations_fire_nothing() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> str:
        first = await ctx.step(lambda _: "a", name="before")
        await ctx.wait(Duration(5), name="pause")
        return first + await ctx.step(lambda _: "b", name="after")

    result = await DurableTestRunner(handler, plugins=[recorder]).run()

    assert result.result == "ab"
    second = recorder.events[recorder.events.index(("invocation-start", False)) :]
    assert second == [
        ("invocation-start", False),
        ("op-start", "STEP", "after", "STARTED"),
        ("attempt-start", "after", 1),
        ("attempt-end", "after", 1, "SUCCEEDED"),
        ("op-end", "STEP", "after", "SUCCEEDED"),
        ("invocation-end", "SUCCEEDED"),
    ]
    # The wait is completed by the service's timer: started, never ended by this SDK.
    assert ("op-start", "WAIT", "pause", "STARTED") in recorder.events
    assert not any(e[0] == "op-end" and e[2] == "pause" for e in recorder.events)


async def test_a_failed_execution_reports_the_failure() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> str:
        def boom(step: StepContext) -> str:
            raise RuntimeError("always")

        config = StepConfig(retry_strategy=RetryPresets.none())
        return await ctx.step(boom, name="boom", config=config)

    result = await DurableTestRunner(handler, plugins=[recorder]).run()

    assert result.status == "FAILED"
    assert recorder.events[-3:] == [
        ("attempt-end", "boom", 1, "FAILED"),
        ("op-end", "STEP", "boom", "FAILED"),
        ("invocation-end", "FAILED"),
    ]
    end = recorder.infos[-1]
    op_end = recorder.infos[-2]
    assert isinstance(end, InvocationEndInfo)
    assert end.error is not None
    assert isinstance(op_end, OperationInfo)
    assert op_end.status is OperationStatus.FAILED
    assert op_end.error is not None
    assert op_end.error.ErrorMessage == "always"


async def test_map_reports_the_parent_and_every_iteration() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        async def double(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
            return item * 2

        config = MapConfig(max_concurrency=1, completion_config=CompletionConfig())
        result = await ctx.map([1, 2], double, name="doubles", config=config)
        return result.get_results()

    assert (await DurableTestRunner(handler, plugins=[recorder]).run()).result == [2, 4]
    contexts = [e for e in recorder.events if e[0].startswith("op-")]
    assert contexts == [
        ("op-start", "CONTEXT", "doubles", "STARTED"),
        ("op-start", "CONTEXT", "map-item-0", "STARTED"),
        ("op-end", "CONTEXT", "map-item-0", "SUCCEEDED"),
        ("op-start", "CONTEXT", "map-item-1", "STARTED"),
        ("op-end", "CONTEXT", "map-item-1", "SUCCEEDED"),
        ("op-end", "CONTEXT", "doubles", "SUCCEEDED"),
    ]


async def test_a_plugin_that_always_raises_changes_nothing() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        config = StepConfig(retry_strategy=_retry_after_one_second)
        return await ctx.step(_once_then("ok"), name="s", config=config)

    faulty = Faulty()
    plain = await DurableTestRunner(handler).run()
    observed_runner = DurableTestRunner(handler, plugins=[faulty, Recorder()])
    observed_execution = await observed_runner.start()
    observed = await observed_execution.result()
    plain_again = await DurableTestRunner(handler).start()
    await plain_again.result()

    assert (observed.status, observed.result, observed.invocations) == (
        plain.status,
        plain.result,
        plain.invocations,
    )
    assert [(e.EventType, e.Name) for e in await observed_execution.history()] == [
        (e.EventType, e.Name) for e in await plain_again.history()
    ]
    assert set(faulty.calls) == {
        "on_invocation_start",
        "on_invocation_end",
        "on_operation_start",
        "on_operation_end",
        "on_attempt_start",
        "on_attempt_end",
    }


async def test_the_next_plugin_still_runs_after_one_raised() -> None:
    recorder = Recorder()

    async def handler(event: Any, ctx: DurableContext) -> int:
        return await ctx.step(lambda _: 1)

    await DurableTestRunner(handler, plugins=[Faulty(), recorder]).run()

    assert recorder.events[0] == ("invocation-start", True)
    assert recorder.events[-1] == ("invocation-end", "SUCCEEDED")


def _identity() -> OperationIdentity:
    return OperationIdentity("op-1", OperationType.STEP, "Step", "s", None)


def test_a_hook_failure_is_logged_with_the_hook_and_the_plugin() -> None:
    logger = CapturingLogger()
    dispatcher = PluginDispatcher([Faulty()], logger, "arn:1")

    with dispatcher.attempt(_identity(), 1):
        pass

    assert (
        logger.events("exception")
        == ["an instrumentation plugin hook raised; the error is ignored"] * 2
    )
    fields = logger.records[0].fields
    assert fields["plugin_hook"] == "on_attempt_start"
    assert fields["plugin_type"] == "Faulty"
    assert fields["error"] == "RuntimeError: on_attempt_start is broken"


def test_keyboard_interrupt_from_a_hook_propagates() -> None:
    class Interrupting(BasePlugin):
        def on_attempt_start(self, info: AttemptInfo) -> None:
            raise KeyboardInterrupt

    dispatcher = PluginDispatcher([Interrupting()], CapturingLogger(), "arn:1")

    with pytest.raises(KeyboardInterrupt), dispatcher.attempt(_identity(), 1):
        pass


def test_a_plugin_may_implement_only_some_hooks() -> None:
    class OnlyEnd:
        def __init__(self) -> None:
            self.seen: list[AttemptInfo] = []

        def on_attempt_end(self, info: AttemptInfo) -> None:
            self.seen.append(info)

    plugin = OnlyEnd()
    logger = CapturingLogger()
    dispatcher = PluginDispatcher([plugin], logger, "arn:1")  # type: ignore[list-item]

    with dispatcher.attempt(_identity(), 3):
        pass

    assert [(i.attempt, i.outcome) for i in plugin.seen] == [(3, AttemptOutcome.SUCCEEDED)]
    assert logger.records == []


def test_attempt_outcome_follows_how_the_block_exits() -> None:
    recorder = Recorder()
    dispatcher = PluginDispatcher([recorder], CapturingLogger(), "arn:1")

    with pytest.raises(ValueError, match="bad"), dispatcher.attempt(_identity(), 1):
        raise ValueError("bad")
    with pytest.raises(asyncio.CancelledError), dispatcher.attempt(_identity(), 2):
        raise asyncio.CancelledError

    assert [e for e in recorder.events if e[0] == "attempt-end"] == [
        ("attempt-end", "s", 1, "FAILED"),
        ("attempt-end", "s", 2, "INCOMPLETE"),
    ]


def test_an_async_hook_is_not_awaited_and_is_reported() -> None:
    class AsyncHook(BasePlugin):
        def __init__(self) -> None:
            self.ran = False

        async def on_attempt_start(self, info: AttemptInfo) -> None:  # type: ignore[override]
            self.ran = True

    plugin = AsyncHook()
    logger = CapturingLogger()
    dispatcher = PluginDispatcher([plugin], logger, "arn:1")

    with dispatcher.attempt(_identity(), 1):
        pass

    assert plugin.ran is False
    assert logger.events("error") == [
        "an instrumentation plugin hook returned an awaitable; hooks are synchronous, "
        "so it was not awaited"
    ]


async def test_plugins_of_the_decorator_and_of_the_runner_both_run_in_that_order() -> None:
    order: list[str] = []

    class Named(BasePlugin):
        def __init__(self, name: str) -> None:
            self.name = name

        def on_invocation_start(self, info: InvocationStartInfo) -> None:
            order.append(self.name)

    @durable_execution(plugins=[Named("decorator")])
    async def handler(event: Any, ctx: DurableContext) -> int:
        return 1

    await DurableTestRunner(handler, plugins=[Named("runner")]).run()

    assert order == ["decorator", "runner"]


class _FailingService(LocalDurableService):
    """A local service whose checkpoint calls fail in a way Lambda retries."""

    async def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        raise CheckpointError("the service is unavailable", retriable=True)


async def test_an_invocation_that_raises_for_a_retry_reports_retry() -> None:
    recorder = Recorder()
    service = _FailingService(InMemoryExecutionStore(), FakeClock())
    arn = await service.start_execution("f", "{}")
    invocation: InvocationInput = await service.invocation_input(arn)

    async def handler(event: Any, ctx: DurableContext) -> int:
        return await ctx.step(lambda _: 1, name="s")

    with pytest.raises(CheckpointError):
        await run_invocation(
            handler,
            invocation,
            service=service,
            serdes=JsonSerDes(),
            clock=FakeClock(),
            random=random.Random(0),
            logger=CapturingLogger(),
            options=RuntimeOptions(plugins=(recorder,)),
        )

    end = recorder.infos[-1]
    assert isinstance(end, InvocationEndInfo)
    assert end.status is InvocationEndStatus.RETRY
    assert end.error is not None
    assert end.error.ErrorType == "CheckpointError"
