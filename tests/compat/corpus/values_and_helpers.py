"""Corpus: values steps write (serializers, extended types, dataclasses), with_retry, logging."""

# The official SDK leaves a few of its functions unannotated.
# mypy: disable-error-code="no-untyped-call"

import dataclasses
import datetime
import decimal
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    SerDesError,
    StepError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import ChildConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.retries import (
    RetryDecision,
    RetryPresets,
    WithRetryConfig,
    with_retry,
)
from aws_durable_execution_sdk_python.serdes import (
    ExtendedTypeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
)


@dataclasses.dataclass
class Order:
    """A user dataclass."""

    id: str
    total: int


class UpperSerDes(SerDes[str]):
    """A user serializer."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value.upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.lower()


def flaky_block(context: Any, attempt: int) -> str:
    value = context.step(lambda _: attempt, name=f"try-{attempt}")
    if value < 3:
        raise ConnectionError(f"attempt {attempt} failed")
    return f"done on {attempt}"


def retry_twice(error: Exception, attempt: int) -> RetryDecision:
    if attempt >= 3:
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration.from_seconds(2))


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    context.logger.info("case %s", case, extra={"case": case})
    if case == "extended":
        values: dict[str, Any] = context.step(
            lambda _: {
                "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
                "price": decimal.Decimal("1.50"),
                "pair": (1, 2),
                "raw": b"\x00\x01",
            },
            name="extended",
        )
        return {
            "when": values["when"].isoformat(),
            "price": str(values["price"]),
            "pair": type(values["pair"]).__name__,
            "raw": list(values["raw"]),
        }
    if case == "serializers":
        upper = context.step(
            lambda _: "Mixed", name="upper", config=StepConfig(serdes=UpperSerDes())
        )
        text = context.step(
            lambda _: "as is", name="text", config=StepConfig(serdes=PassThroughSerDes())
        )
        plain = context.step(
            lambda _: {"a": [1, 2]}, name="plain", config=StepConfig(serdes=JsonSerDes())
        )
        extended = context.step(
            lambda _: {"a": 1}, name="extended", config=StepConfig(serdes=ExtendedTypeSerDes())
        )
        child = context.run_in_child_context(
            lambda child: "Child", name="child", config=ChildConfig(serdes=UpperSerDes())
        )
        return [upper, text, plain, extended, child]
    if case == "dataclass":
        try:
            order = context.step(lambda _: Order("o-1", 3), name="order")
        except (SerDesError, StepError) as error:
            return {"refused": type(error).__name__}
        return {"type": type(order).__name__}
    if case == "nested_dataclass":
        kept = context.step(lambda _: {"kept": 1}, name="before")
        try:
            context.step(lambda _: {"orders": [Order("o-1", 3)]}, name="orders")
        except (SerDesError, StepError) as error:
            return {"kept": kept, "refused": type(error).__name__}
        return {"kept": kept, "refused": None}
    if case == "nested_dataclass_uncaught":
        context.step(lambda _: "kept", name="before")
        return context.step(lambda _: [("o-1", Order("o-1", 3))], name="orders")
    if case == "pass_through_none":
        nothing = context.step(
            lambda _: None, name="nothing", config=StepConfig(serdes=PassThroughSerDes())
        )
        # The value read back names the next step, so a replay that reads it otherwise diverges.
        after = context.step(lambda _: "after", name=f"after {nothing!r}")
        return {"value": nothing, "after": after}
    if case == "with_retry":
        config: WithRetryConfig[str] = WithRetryConfig(retry_strategy=retry_twice)
        return with_retry(context, flaky_block, config, name="block")
    if case == "with_retry_unwrapped":
        unwrapped: WithRetryConfig[str] = WithRetryConfig(
            retry_strategy=RetryPresets.none(), wrap_with_run_in_child_context=False
        )
        try:
            with_retry(context, flaky_block, unwrapped)
        except ConnectionError as error:
            return {"last": str(error)}
    return None


SCENARIOS = {
    "extended": {"event": {"case": "extended"}},
    "serializers": {"event": {"case": "serializers"}},
    "dataclass": {"event": {"case": "dataclass"}},
    "nested_dataclass": {"event": {"case": "nested_dataclass"}},
    "nested_dataclass_uncaught": {"event": {"case": "nested_dataclass_uncaught"}},
    "pass_through_none": {"event": {"case": "pass_through_none"}},
    "with_retry": {"event": {"case": "with_retry"}},
    "with_retry_unwrapped": {"event": {"case": "with_retry_unwrapped"}},
}
