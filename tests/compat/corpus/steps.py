"""Corpus: steps, their names, retries and errors."""

from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    StepError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)


class DeclinedError(Exception):
    """A user error type."""


@durable_step
def add(step_context: StepContext, a: int, b: int) -> int:
    step_context.logger.info("adding %s and %s", a, b, extra={"a": a})
    return a + b


def flaky(step_context: StepContext) -> str:
    if step_context.attempt < 3:
        raise ConnectionError(f"attempt {step_context.attempt} failed")
    return f"ok after {step_context.attempt}"


def declined(step_context: StepContext) -> None:
    raise DeclinedError("card declined")


QUICK = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=4,
        initial_delay=Duration.from_seconds(1),
        retryable_error_types=[ConnectionError],
    )
)


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "basics":
        total = context.step(add(1, 2))
        named = context.step(lambda _: {"n": [1, 2.5, "x", None, True]}, name="values")
        unnamed = context.step(lambda _: "plain")
        positional = context.step(lambda _: 7, "positional", StepConfig(RetryPresets.none()))
        keywords = context.step(func=lambda _: 8, name="keywords")
        return {"total": total, "named": named, "unnamed": unnamed, "p": positional, "k": keywords}
    if case == "retried":
        return {"flaky": context.step(flaky, name="flaky", config=StepConfig(QUICK))}
    if case == "caught":
        try:
            context.step(declined, name="declined", config=StepConfig(RetryPresets.none()))
        except StepError as error:
            return {
                "str": str(error),
                "message": error.message,
                "type": error.error_type.rsplit(".", 1)[-1],
                "data": error.data,
            }
        return {"caught": False}
    if case == "not_retryable":
        config = StepConfig(retry_strategy=QUICK)
        context.step(declined, name="declined", config=config)
    if case == "escapes":
        context.step(declined, name="declined", config=StepConfig(RetryPresets.none()))
    if case == "at_most_once":
        config = StepConfig(RetryPresets.none(), StepSemantics.AT_MOST_ONCE_PER_RETRY)
        return context.step(lambda _: "once", name="once", config=config)
    if case == "user_error":
        raise DeclinedError("the handler itself failed")
    return {}


SCENARIOS = {
    "basics": {"event": {"case": "basics"}},
    "retried": {"event": {"case": "retried"}},
    "caught": {"event": {"case": "caught"}},
    "not_retryable": {"event": {"case": "not_retryable"}},
    "escapes": {"event": {"case": "escapes"}},
    "at_most_once": {"event": {"case": "at_most_once"}},
    "user_error": {"event": {"case": "user_error"}},
}
