"""Corpus: waits, child contexts and their errors."""

from typing import Any

from aws_durable_execution_sdk_python import (
    ChildContextError,
    DurableContext,
    durable_execution,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import ChildConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets


@durable_with_child_context
def checkout(context: DurableContext, order: str) -> dict[str, Any]:
    reserved = context.step(lambda _: f"{order}-reserved", name="reserve")
    context.wait(Duration.from_minutes(1), name="settle")
    return {"order": order, "reserved": reserved}


def failing_child(context: DurableContext) -> None:
    context.step(lambda _: 1, name="before")
    raise KeyError("missing")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "waits":
        context.wait(Duration.from_seconds(2))
        context.wait(Duration.from_seconds(1.9), name="truncated")
        context.wait(duration=Duration.from_hours(1), name="hour")
        return {"waited": True}
    if case == "too_short":
        context.wait(Duration.from_seconds(0.5), name="short")
    if case == "children":
        first = context.run_in_child_context(checkout("o-1"))
        second = context.run_in_child_context(
            func=lambda child: child.step(lambda _: "inner", name="inner"), name="named"
        )
        nested = context.run_in_child_context(
            lambda child: child.run_in_child_context(
                lambda grandchild: grandchild.step(lambda _: 3, name="deep"), name="level-2"
            ),
            "level-1",
            ChildConfig(),
        )
        return {"first": first, "second": second, "nested": nested}
    if case == "child_fails_caught":
        try:
            context.run_in_child_context(failing_child, name="failing")
        except ChildContextError as error:
            return {"str": str(error), "type": error.error_type.rsplit(".", 1)[-1]}
    if case == "child_fails":
        context.run_in_child_context(failing_child, name="failing")
    if case == "step_error_in_child":
        context.run_in_child_context(
            lambda child: child.step(
                lambda _: 1 / 0, name="divide", config=StepConfig(RetryPresets.none())
            ),
            name="wrapper",
        )
    return {}


SCENARIOS = {
    "waits": {"event": {"case": "waits"}},
    "too_short": {"event": {"case": "too_short"}},
    "children": {"event": {"case": "children"}},
    "child_fails_caught": {"event": {"case": "child_fails_caught"}},
    "child_fails": {"event": {"case": "child_fails"}},
    "step_error_in_child": {"event": {"case": "step_error_in_child"}},
}
