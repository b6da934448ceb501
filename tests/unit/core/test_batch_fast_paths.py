"""Skipping the read-back of a map's results when it could only give back the same values.

A first run hands back what replay will read (each item's result written and read back, then
the whole BatchResult); for simple scalars under untyped JSON that round trip is the identity,
and these tests hold the shortcut to that: same values and types as the long way, on the first
run and on replay, and the long way for everything else.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import MapConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.serdes import (
    DEFAULT_SERDES,
    EnvelopeSerDes,
    JsonSerDes,
    deserialize,
    reads_back_unchanged,
    serialize,
)

CONTEXT = SerDesContext("op", "arn")


class Colour(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


SELF_READING: list[Any] = [None, True, False, 0, -7, 2**70, "", "text", '{"t":"x"}', 1.5, -0.0]
NOT_SELF_READING: list[Any] = [
    Colour.RED,
    Tag("x"),
    math.nan,
    math.inf,
    (1, 2),
    [1],
    {"a": 1},
    b"bytes",
]


@pytest.mark.parametrize("value", SELF_READING)
def test_values_said_to_read_back_unchanged_do(value: Any) -> None:
    assert reads_back_unchanged(DEFAULT_SERDES, value)
    assert reads_back_unchanged(JsonSerDes(), value)
    read = deserialize(DEFAULT_SERDES, serialize(DEFAULT_SERDES, value, CONTEXT), CONTEXT)
    assert type(read) is type(value)
    assert read == value


@pytest.mark.parametrize("value", NOT_SELF_READING)
def test_everything_else_takes_the_long_way(value: Any) -> None:
    assert not reads_back_unchanged(DEFAULT_SERDES, value)


def test_only_untyped_json_counts() -> None:
    assert not reads_back_unchanged(JsonSerDes(result_type=int), 1)
    assert not reads_back_unchanged(EnvelopeSerDes(), 1)


def test_a_subclass_that_writes_or_reads_its_own_way_takes_the_long_way() -> None:
    class Writes(JsonSerDes[Any]):
        def serialize(self, value: Any, context: SerDesContext, /) -> str:
            return "[" + super().serialize(value, context) + "]"

    class Reads(JsonSerDes[Any]):
        def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
            return ("read", super().deserialize(payload, context))

    class Same(JsonSerDes[Any]):
        pass  # reads and writes exactly as JsonSerDes: the fast lane is the same path

    assert not reads_back_unchanged(Writes(), 1)
    assert not reads_back_unchanged(Reads(), 1)
    assert reads_back_unchanged(Same(), 1)


async def _first_and_replayed(items: list[Any]) -> tuple[Any, Any]:
    results: list[Any] = []

    async def echo(ctx: DurableContext, item: Any, index: int, all_items: Any) -> Any:
        return item

    async def handler(event: Any, ctx: DurableContext) -> int:
        result = await ctx.map(items, echo, name="echo", config=MapConfig(max_concurrency=2))
        results.append(result)
        await ctx.step(lambda _: None, name="after")  # a new operation: always-replay ends here
        return len(results)

    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start(None)
    outcome = await run.result()
    assert outcome.status == "SUCCEEDED"
    assert len(results) >= 2
    return results[0], results[-1]


async def test_a_map_of_scalars_returns_the_same_values_first_and_on_replay() -> None:
    first, replayed = await _first_and_replayed([1, "a", None, True, 2.5])

    assert first == replayed
    assert [type(value) for value in first.get_results()] == [int, str, type(None), bool, float]


async def test_values_that_change_on_the_way_are_returned_as_replay_reads_them() -> None:
    first, replayed = await _first_and_replayed([Colour.RED, Tag("t"), [1, 2]])

    assert first == replayed
    assert first.get_results() == [1, "t", [1, 2]]
    assert [type(value) for value in first.get_results()] == [int, str, list]


async def test_a_map_of_scalars_stores_the_payload_the_serializer_writes() -> None:
    async def echo(ctx: DurableContext, item: Any, index: int, all_items: Any) -> Any:
        return item

    async def handler(event: Any, ctx: DurableContext) -> Any:
        result = await ctx.map([1, "é", None, 2.5, False], echo, name="echo")
        return result.to_dict()

    runner = DurableTestRunner(handler)
    run = await runner.start(None)
    outcome = await run.result()
    details = run.operation("echo").operation.ContextDetails
    items = sorted(run.operations(parent="echo"), key=lambda item: item.name or "")

    assert outcome.status == "SUCCEEDED"
    assert details is not None
    assert details.Result == serialize(DEFAULT_SERDES, outcome.result, CONTEXT)
    assert [item.operation.ContextDetails.Result for item in items] == [  # type: ignore[union-attr]
        serialize(DEFAULT_SERDES, value, CONTEXT) for value in [1, "é", None, 2.5, False]
    ]
