"""Corpus: wait_for_condition and chained invokes."""

from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    InvokeError,
    WaitForConditionError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import Duration, InvokeConfig, JitterStrategy
from aws_durable_execution_sdk_python.types import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)


def poll(state: dict[str, Any], check: WaitForConditionCheckContext) -> dict[str, Any]:
    check.logger.info("poll %s", check.attempt)
    return {"count": state["count"] + 1, "attempt": check.attempt}


def broken_poll(state: int, check: WaitForConditionCheckContext) -> int:
    raise LookupError("the job vanished")


UNTIL_THREE = create_wait_strategy(
    WaitStrategyConfig[dict[str, Any]](
        should_continue_polling=lambda state: state["count"] < 3,
        initial_delay=Duration.from_seconds(2),
        jitter_strategy=JitterStrategy.NONE,
    )
)


def fixed_delay(state: int, attempts: int) -> WaitForConditionDecision:
    if attempts >= 2:
        return WaitForConditionDecision.stop_polling()
    return WaitForConditionDecision.continue_waiting(Duration.from_seconds(5))


def plain_target(payload: Any, lambda_context: Any) -> dict[str, Any]:
    return {"echo": payload}


def failing_target(payload: Any, lambda_context: Any) -> None:
    raise PermissionError("not allowed")


@durable_execution
def child_workflow(event: dict[str, Any], context: DurableContext) -> int:
    doubled: int = context.step(lambda _: event["n"] * 2, name="double")
    return doubled


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "poll":
        counting = WaitForConditionConfig(UNTIL_THREE, {"count": 0})
        return context.wait_for_condition(poll, counting, name="poll")
    if case == "custom_strategy":
        fixed = WaitForConditionConfig(wait_strategy=fixed_delay, initial_state=1)
        return context.wait_for_condition(check=lambda state, _: state + 1, config=fixed)
    if case == "exhausted":
        strategy = create_wait_strategy(
            WaitStrategyConfig[int](should_continue_polling=lambda state: True, max_attempts=2)
        )
        try:
            context.wait_for_condition(
                lambda state, _: state, WaitForConditionConfig(strategy, 0), "forever"
            )
        except WaitForConditionError as error:
            return {"type": error.error_type.rsplit(".", 1)[-1]}
    if case == "check_fails":
        broken = WaitForConditionConfig(fixed_delay, 0)
        context.wait_for_condition(broken_poll, broken, name="broken")
    if case == "invoke":
        plain: dict[str, Any] = context.invoke("plain", {"a": 1}, name="call plain")
        durable: int = context.invoke("child", {"n": 21}, "call child", InvokeConfig())
        return {"plain": plain, "durable": durable}
    if case == "invoke_fails":
        try:
            context.invoke("failing", None, name="call failing")
        except InvokeError as error:
            return {"str": str(error), "type": error.error_type.rsplit(".", 1)[-1]}
    return None


FUNCTIONS = {"plain": plain_target, "failing": failing_target}
DURABLE_FUNCTIONS = {"child": child_workflow}

SCENARIOS = {
    "poll": {"event": {"case": "poll"}},
    "custom_strategy": {"event": {"case": "custom_strategy"}},
    "exhausted": {"event": {"case": "exhausted"}, "own_words": ["forever"]},
    "check_fails": {"event": {"case": "check_fails"}},
    "invoke": {"event": {"case": "invoke"}},
    "invoke_fails": {"event": {"case": "invoke_fails"}},
}
