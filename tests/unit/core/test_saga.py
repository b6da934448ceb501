"""``ctx.saga``: undos registered by steps that succeeded, run in reverse when the saga fails."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import Duration, StepConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import InvocationError, ValidationError
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.operations.saga import SagaError
from durable_lambda.core.retry import RetryStrategyConfig, create_retry_strategy


def _once(count: int = 1) -> StepConfig:
    return StepConfig(
        create_retry_strategy(RetryStrategyConfig(max_attempts=count, initial_delay=Duration(1)))
    )


class Ledger:
    """What the steps and undos did, in order, across invocations."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.calls: Counter[str] = Counter()

    def do(self, what: str) -> Any:
        def body(step: StepContext) -> str:
            self.calls[what] += 1
            self.log.append(what)
            return f"{what}-id"

        return body

    def undo(self, what: str) -> Any:
        def body(result: str, step: StepContext) -> None:
            self.calls[f"undo {what}"] += 1
            self.log.append(f"undo {what} ({result})")

        return body

    def fail(self, what: str) -> Any:
        def body(step: StepContext) -> None:
            self.calls[what] += 1
            self.log.append(what)
            raise RuntimeError(f"{what} failed")

        return body


def _order_handler(ledger: Ledger, fail_at: str | None = "ship") -> Any:
    async def handler(event: Any, ctx: DurableContext) -> str:
        async with ctx.saga("order") as saga:
            await saga.step(ledger.do("charge"), name="charge", compensate=ledger.undo("charge"))
            await saga.step(ledger.do("reserve"), name="reserve", compensate=ledger.undo("reserve"))
            await saga.step(ledger.do("notify"), name="notify")  # nothing to undo
            if fail_at == "ship":
                await saga.step(ledger.fail("ship"), name="ship", config=_once())
        return "shipped"

    return handler


async def test_the_undos_run_in_reverse_order_and_the_execution_fails_with_both_stories() -> None:
    ledger = Ledger()
    runner = DurableTestRunner(_order_handler(ledger))
    run = await runner.start()
    outcome = await run.result()

    assert ledger.log == [
        "charge",
        "reserve",
        "notify",
        "ship",
        "undo reserve (reserve-id)",
        "undo charge (charge-id)",
    ]
    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.ErrorType == "SagaError"
    assert outcome.error.ErrorMessage == (
        "saga 'order' failed with RuntimeError: ship failed; compensated: undo reserve, undo charge"
    )
    assert json.loads(outcome.error.ErrorData or "") == {
        "saga": "order",
        "originalErrorType": "RuntimeError",
        "originalErrorMessage": "ship failed",
        "compensated": ["undo reserve", "undo charge"],
        "compensationFailures": [],
    }
    # Each undo is a step of its own, in one child context.
    compensation = run.operation("order-compensation")
    assert compensation.type is OperationType.CONTEXT
    assert compensation.operation.SubType == "SagaCompensation"
    undos = run.operations(parent="order-compensation", type=OperationType.STEP)
    assert [(u.name, u.status) for u in undos] == [
        ("undo reserve", OperationStatus.SUCCEEDED),
        ("undo charge", OperationStatus.SUCCEEDED),
    ]


async def test_a_saga_that_succeeds_undoes_nothing() -> None:
    ledger = Ledger()
    outcome = await DurableTestRunner(_order_handler(ledger, fail_at=None)).run()
    assert outcome.result == "shipped"
    assert ledger.log == ["charge", "reserve", "notify"]


async def test_the_handler_can_catch_the_saga_error() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        try:
            async with ctx.saga("trip") as saga:
                flight = ledger.do("flight")
                await saga.step(flight, name="flight", compensate=ledger.undo("flight"))
                if event is None:
                    raise ValueError("no hotel left")
        except SagaError as error:
            return {
                "cause": type(error.__cause__).__name__,
                "original": [error.original_error_type, error.original_message],
                "compensated": list(error.compensated),
                "fully": error.fully_compensated,
            }
        return {}

    outcome = await DurableTestRunner(handler).run()
    assert outcome.result == {
        "cause": "ValueError",
        "original": ["ValueError", "no hotel left"],
        "compensated": ["undo flight"],
        "fully": True,
    }


async def test_an_undo_has_its_own_retries_and_one_that_fails_for_good_does_not_stop_the_rest() -> (
    None
):
    tries: Counter[str] = Counter()

    def flaky_refund(result: str, step: StepContext) -> None:
        tries["refund"] += 1
        if step.attempt == 1:
            raise ConnectionError("payments unavailable")

    def broken_release(result: str, step: StepContext) -> None:
        tries["release"] += 1
        raise RuntimeError("stock service gone")

    async def handler(event: Any, ctx: DurableContext) -> None:
        async with ctx.saga("order") as saga:
            await saga.step(
                lambda s: "c-1",
                name="charge",
                compensate=flaky_refund,
                compensate_config=_once(3),
            )
            await saga.step(
                lambda s: "r-1",
                name="reserve",
                compensate=broken_release,
                compensate_config=_once(2),
            )
            raise RuntimeError("shipping refused")

    runner = DurableTestRunner(handler)
    run = await runner.start()
    outcome = await run.result()

    assert tries == {"refund": 2, "release": 2}
    assert outcome.error is not None
    data = json.loads(outcome.error.ErrorData or "")
    assert data["compensated"] == ["undo charge"]
    assert data["compensationFailures"] == [
        {"undo": "undo reserve", "errorType": "RuntimeError", "errorMessage": "stock service gone"}
    ]
    assert outcome.error.ErrorMessage is not None
    assert outcome.error.ErrorMessage.endswith("compensation failed for: undo reserve")


async def test_add_compensation_registers_an_undo_for_other_work() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> None:
        async with ctx.saga("booking") as saga:
            await ctx.run_in_child_context(
                lambda child: child.step(ledger.do("book"), name="book"), name="booking"
            )
            saga.add_compensation(ledger.do("cancel booking"), name="cancel booking")
            await saga.step(ledger.do("pay"), name="pay", compensate=ledger.undo("pay"))
            await saga.step(ledger.fail("confirm"), name="confirm", config=_once())

    outcome = await DurableTestRunner(handler).run()
    assert ledger.log[-2:] == ["undo pay (pay-id)", "cancel booking"]
    assert outcome.error is not None
    assert json.loads(outcome.error.ErrorData or "")["compensated"] == [
        "undo pay",
        "cancel booking",
    ]


async def test_a_crash_during_compensation_resumes_without_repeating_a_finished_undo() -> None:
    ledger = Ledger()
    crashed: list[str] = []

    def crashing_release(result: str, step: StepContext) -> None:
        ledger.calls["undo reserve"] += 1
        if not crashed:
            crashed.append("once")
            # Raised out of the invocation, as a crash would end it: Lambda invokes again.
            raise InvocationError("the sandbox died mid-compensation")
        ledger.log.append("undo reserve")

    async def handler(event: Any, ctx: DurableContext) -> None:
        async with ctx.saga("order") as saga:
            await saga.step(ledger.do("charge"), name="charge", compensate=ledger.undo("charge"))
            await saga.step(ledger.do("reserve"), name="reserve", compensate=crashing_release)
            await saga.step(ledger.do("pack"), name="pack", compensate=ledger.undo("pack"))
            await saga.step(ledger.fail("ship"), name="ship", config=_once())

    outcome = await DurableTestRunner(handler).run()

    assert crashed == ["once"]
    assert outcome.error is not None
    assert json.loads(outcome.error.ErrorData or "")["compensated"] == [
        "undo pack",
        "undo reserve",
        "undo charge",
    ]
    # The undo that had finished before the crash ran once; the one cut short ran again.
    assert ledger.calls["undo pack"] == 1
    assert ledger.calls["undo reserve"] == 2
    assert ledger.calls["undo charge"] == 1
    assert ledger.calls["charge"] == ledger.calls["ship"] == 1


async def test_compensation_replays_from_its_record() -> None:
    ledger = Ledger()
    once = await DurableTestRunner(_order_handler(ledger)).run()
    ledger_replayed = Ledger()
    replayed = await DurableTestRunner(_order_handler(ledger_replayed), always_replay=True).run()

    assert replayed.error == once.error
    assert replayed.invocations > once.invocations
    assert ledger_replayed.calls == ledger.calls  # every body and undo ran exactly once


async def test_a_suspension_inside_the_saga_is_not_a_failure() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> str:
        async with ctx.saga("slow") as saga:
            await saga.step(ledger.do("start"), name="start", compensate=ledger.undo("start"))
            await ctx.wait(Duration.from_hours(1), name="cool-off")
            await saga.step(ledger.do("finish"), name="finish")
        return "done"

    outcome = await DurableTestRunner(handler).run()
    assert outcome.result == "done"
    assert outcome.invocations == 2
    assert ledger.log == ["start", "finish"]


async def test_undos_run_in_the_order_the_steps_were_called_whatever_finished_first() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> None:
        async with ctx.saga("parallel") as saga:
            await ctx.all(
                [
                    saga.step(ledger.do("a"), name="a", compensate=ledger.undo("a")),
                    saga.step(ledger.do("b"), name="b", compensate=ledger.undo("b")),
                ]
            )
            raise RuntimeError("after both")

    outcome = await DurableTestRunner(handler).run()
    assert outcome.error is not None
    assert json.loads(outcome.error.ErrorData or "")["compensated"] == ["undo b", "undo a"]


async def test_bad_arguments_are_refused() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        problems = []
        for bad in ("", "x" * 201, "caf\u00e9"):
            with pytest.raises(ValidationError, match="saga's name") as info:
                ctx.saga(bad)
            problems.append(str(info.value)[:20])
        saga = ctx.saga("ok")
        with pytest.raises(ValidationError, match="needs a callable compensate"):
            await saga.step(lambda s: 1, name="one", compensate="refund")  # type: ignore[call-overload]
        with pytest.raises(ValidationError, match="needs a callable"):
            saga.add_compensation(42)  # type: ignore[arg-type]
        return problems

    assert (await DurableTestRunner(handler).run()).status == "SUCCEEDED"


async def test_a_failed_step_inside_registers_no_undo_for_itself() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> None:
        async with ctx.saga("order") as saga:
            await saga.step(ledger.fail("charge"), name="charge", compensate=ledger.undo("charge"))

    outcome = await DurableTestRunner(handler).run()
    assert outcome.error is not None
    assert outcome.error.ErrorType == "SagaError"
    assert "compensated: nothing" in (outcome.error.ErrorMessage or "")
    assert ledger.log.count("undo charge (charge-id)") == 0


async def test_compensate_undoes_a_failure_that_did_not_raise_once() -> None:
    ledger = Ledger()

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        saga = ctx.saga("batch")
        await saga.step(ledger.do("open"), name="open", compensate=ledger.undo("open"))
        failures = await ctx.step(lambda s: ["item 3"], name="check")
        outcomes = []
        for _ in range(2):  # a second call compensates nothing more
            try:
                await saga.compensate(RuntimeError(f"failed: {failures}"))
            except SagaError as error:
                outcomes.append(list(error.compensated))
        return {"outcomes": outcomes}

    outcome = await DurableTestRunner(handler).run()
    assert outcome.result == {"outcomes": [["undo open"], ["undo open"]]}
    assert ledger.calls["undo open"] == 1


def test_a_saga_error_is_rebuilt_from_its_error_object() -> None:
    data = {
        "saga": "order",
        "originalErrorType": "ValueError",
        "originalErrorMessage": "bad",
        "compensated": ["undo a"],
        "compensationFailures": [{"undo": "undo b", "errorType": "E", "errorMessage": "m"}],
    }
    error = SagaError("saga 'order' failed", "SagaError", json.dumps(data))
    rebuilt = SagaError.from_error_object(error.to_error_object())
    assert rebuilt.saga == "order"
    assert rebuilt.original_error_type == "ValueError"
    assert rebuilt.compensated == ("undo a",)
    assert rebuilt.compensation_failures == (("undo b", "E", "m"),)
    assert not rebuilt.fully_compensated
    assert SagaError("no data").compensated == ()
