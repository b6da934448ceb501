"""FLAT maps and parallels written for the official SDK, whose records a deep replay must match.

Not a corpus module (the oracle does not compare it): ``test_replay_flat.py`` runs it on the
official SDK 3.0.0 and replays each record, deeply, with the same source switched to ours. A FLAT
branch records no context of its own, only its operations, directly under the batch; each case
names a last step after the result it read (``after ...``), so a replay that rebuilds another
result diverges there.
"""

# The official SDK leaves a few of its functions unannotated.
# mypy: disable-error-code="no-untyped-call"

from collections.abc import Callable, Sequence
from typing import Any

from aws_durable_execution_sdk_python import BatchResult, DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
    ParallelConfig,
)

FLAT_MAP: MapConfig[Any] = MapConfig(nesting_type=NestingType.FLAT)
# Larger than the 256 KiB one checkpoint holds: the batch stores a summary and ReplayChildren.
LARGE = 100_000


def square(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    return context.step(lambda _: item * item, name=f"square-{index}")


def odd_fails(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    value = context.step(lambda _: item, name=f"read-{index}")
    if value % 2:
        raise ValueError(f"odd item {value}")
    return value


def large(context: DurableContext, item: int, index: int, items: Sequence[int]) -> str:
    return context.step(lambda _: str(item) * LARGE, name=f"large-{index}")


def second_waits(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    if index == 1:
        context.wait(Duration.from_seconds(3600), name="slow")
    return context.step(lambda _: item, name=f"quick-{index}")


def shape(result: BatchResult[Any]) -> list[Any]:
    """Each item's status and result (a large result by its length), or its error's message."""
    shown: list[Any] = []
    for item in result.all:
        value = item.result
        if isinstance(value, str) and len(value) > 40:
            value = f"{len(value)} chars"
        message = item.error.message if item.error is not None else None
        shown.append([item.index, item.status.value, value, message])
    return shown


def after(context: DurableContext, value: object) -> object:
    """A step named after ``value``: replay reads the value as the first run did, or diverges."""
    return context.step(lambda _: "ok", name=f"after {value!r}")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "map":
        result: BatchResult[Any] = context.map([1, 2, 3], square, name="flat", config=FLAT_MAP)
    elif case == "map_failures":
        tolerant: MapConfig[Any] = MapConfig(
            nesting_type=NestingType.FLAT, completion_config=CompletionConfig.all_completed()
        )
        result = context.map([1, 2, 3], odd_fails, name="tolerant", config=tolerant)
    elif case == "map_too_large":
        result = context.map([1, 2, 3], large, name="large", config=FLAT_MAP)
    elif case == "map_abandons":
        first: MapConfig[Any] = MapConfig(
            nesting_type=NestingType.FLAT, completion_config=CompletionConfig(min_successful=1)
        )
        result = context.map([1, 2], second_waits, name="first", config=first)
    elif case == "parallel":

        def fails(child: DurableContext) -> str:
            child.step(lambda _: "tried", name="try")
            raise RuntimeError("branch failed")

        branches: list[Callable[[DurableContext], Any]] = [
            lambda child: child.step(lambda _: "a", name="a"),
            fails,
            lambda child: child.step(lambda _: "c", name="c"),
        ]
        flat = ParallelConfig(
            nesting_type=NestingType.FLAT, completion_config=CompletionConfig.all_completed()
        )
        result = context.parallel(branches, name="branches", config=flat)
    else:
        return None
    return after(context, shape(result))


SCENARIOS = {
    "map": {"event": {"case": "map"}},
    "map_failures": {"event": {"case": "map_failures"}},
    "map_too_large": {"event": {"case": "map_too_large"}},
    "map_abandons": {"event": {"case": "map_abandons"}},
    "parallel": {"event": {"case": "parallel"}},
}
