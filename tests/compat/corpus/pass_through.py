"""Corpus: None written through PassThroughSerDes by every operation that writes a user's value.

The official SDK's pass-through hands None back as the payload, so the operation is recorded
without one and read back as None: a child context, a map item, a parallel branch (flat or
nested), a polled condition's state, a chained invoke's input, a wait_for_callback submitter's
result. Each case names a later step after the value it read (``after None``), so a replay that
reads it as anything else diverges.
"""

from collections.abc import Callable, Sequence
from typing import Any

from aws_durable_execution_sdk_python import BatchResult, DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    NestingType,
    ParallelConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import PassThroughSerDes
from aws_durable_execution_sdk_python.types import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
)

TEXT: PassThroughSerDes[Any] = PassThroughSerDes()


def nothing_for(context: DurableContext, item: int, index: int, items: Sequence[int]) -> None:
    context.step(lambda _: item, name=f"touch-{item}")


def keep_none(state: None, check: WaitForConditionCheckContext) -> None:
    check.logger.info("poll %s", check.attempt)


def twice(state: None, attempt: int) -> WaitForConditionDecision:
    if attempt >= 2:
        return WaitForConditionDecision.stop_polling()
    return WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))


def constant_target(payload: Any, lambda_context: Any) -> str:
    return "called"


@durable_execution
def quiet_workflow(event: Any, context: DurableContext) -> None:
    context.step(lambda _: "done", name="inner")


def after(context: DurableContext, value: object) -> object:
    """A step named after ``value``: replay reads the value as the first run did, or diverges."""
    return context.step(lambda _: repr(value), name=f"after {value!r}")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "child":
        value = context.run_in_child_context(
            lambda child: None, name="child", config=ChildConfig(serdes=TEXT)
        )
        return after(context, value)
    if case == "virtual_child":
        flat: ChildConfig[None] = ChildConfig(serdes=TEXT, is_virtual=True)
        value = context.run_in_child_context(lambda child: None, name="child", config=flat)
        return after(context, value)
    if case == "map_items":
        nested: MapConfig[Any] = MapConfig(item_serdes=TEXT)
        result: BatchResult[None] = context.map([1, 2], nothing_for, name="items", config=nested)
        return after(context, result.get_results())
    if case == "flat_map_items":
        flat_map: MapConfig[Any] = MapConfig(item_serdes=TEXT, nesting_type=NestingType.FLAT)
        result = context.map([1, 2], nothing_for, name="items", config=flat_map)
        return after(context, result.get_results())
    if case == "branches":
        branches: list[Callable[[DurableContext], str | None]] = [
            lambda branch: None,
            lambda branch: "text",
        ]
        each = ParallelConfig(item_serdes=TEXT)
        outcome = context.parallel(branches, name="branches", config=each)
        return after(context, outcome.get_results())
    if case == "condition":
        polled = WaitForConditionConfig(twice, None, serdes=TEXT)
        return after(context, context.wait_for_condition(keep_none, polled, name="poll"))
    if case == "invoke":
        plain: InvokeConfig[None, str] = InvokeConfig(serdes_payload=TEXT)
        called = context.invoke("constant", None, name="call constant", config=plain)
        durable: InvokeConfig[None, Any] = InvokeConfig(serdes_payload=TEXT, serdes_result=TEXT)
        quiet = context.invoke("quiet", None, name="call quiet", config=durable)
        return after(context, [called, quiet])
    if case == "wait_for_callback":
        waiting = WaitForCallbackConfig(serdes=TEXT)
        answer = context.wait_for_callback(lambda cid, _: None, name="review", config=waiting)
        return after(context, answer)
    return None


FUNCTIONS = {"constant": constant_target}
DURABLE_FUNCTIONS = {"quiet": quiet_workflow}

SCENARIOS = {
    "child": {"event": {"case": "child"}},
    "virtual_child": {"event": {"case": "virtual_child"}},
    "map_items": {"event": {"case": "map_items"}},
    "flat_map_items": {"event": {"case": "flat_map_items"}},
    "branches": {"event": {"case": "branches"}},
    "condition": {"event": {"case": "condition"}},
    "invoke": {"event": {"case": "invoke"}},
    # An empty answer: the callback has no payload either, and the answer read is None.
    "wait_for_callback": {
        "event": {"case": "wait_for_callback"},
        "answers": [{"callback": "review create callback id", "succeed": ""}],
    },
}
