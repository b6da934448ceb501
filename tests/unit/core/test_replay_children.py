"""``ChildConfig(replay_children=True)``: a child context rebuilt from its children on replay."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import ChildConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import OperationStatus, OperationType


class Basket:
    """A result no serializer can write: only replay_children can return it from a context."""

    def __init__(self, items: list[str]) -> None:
        self.items = items


async def test_the_result_is_never_stored_and_replay_rebuilds_it_from_the_children() -> None:
    runs: Counter[str] = Counter()

    def fetch(name: str) -> Any:
        def body(step: Any) -> str:
            runs[name] += 1
            return name.upper()

        return body

    async def build(ctx: DurableContext) -> Basket:
        runs["context"] += 1
        return Basket([await ctx.step(fetch(n), name=n) for n in ("apple", "pear")])

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        basket = await ctx.run_in_child_context(
            build,
            name="basket",
            config=ChildConfig(
                summary_generator=lambda b: f"{len(b.items)} items", replay_children=True
            ),
        )
        await ctx.step(lambda s: None, name="after")  # each later invocation replays the context
        return basket.items

    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start()
    outcome = await run.result()

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == ["APPLE", "PEAR"]
    context = run.operation("basket")
    assert context.type is OperationType.CONTEXT
    assert context.status is OperationStatus.SUCCEEDED
    details = context.operation.ContextDetails
    assert details is not None
    assert details.ReplayChildren is True
    assert details.Result == "2 items"  # the summary, not the result
    # Every replay ran the context's function again, no step body twice.
    assert runs["apple"] == runs["pear"] == 1
    assert runs["context"] == outcome.invocations


async def test_without_a_summary_generator_the_summary_is_empty() -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        return int(
            await ctx.run_in_child_context(
                lambda child: child.step(lambda s: 42, name="answer"),
                name="small",
                config=ChildConfig(replay_children=True),
            )
        )

    runner = DurableTestRunner(handler)
    run = await runner.start()
    assert (await run.result()).result == 42
    details = run.operation("small").operation.ContextDetails
    assert details is not None
    assert details.ReplayChildren is True
    assert not details.Result


def test_a_virtual_context_cannot_replay_its_children() -> None:
    with pytest.raises(ValidationError, match="replay_children needs a checkpointed context"):
        ChildConfig(is_virtual=True, replay_children=True)
    with pytest.raises(ValidationError, match="positional"):
        ChildConfig(None, None, None, False, True)  # type: ignore[call-arg]
