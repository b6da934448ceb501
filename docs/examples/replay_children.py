"""The examples of docs/operations/replay-children.md."""

# ruff: noqa: D103
# --8<-- [start:replay-children]
from dataclasses import dataclass
from typing import Any

from durable_lambda import ChildConfig, DurableContext
from durable_lambda.testing import DurableTestRunner

CALLS: dict[str, int] = {}


@dataclass
class Quote:
    """A live object no serializer writes: only a rebuilt context can hand it back."""

    prices: dict[str, int]

    def total(self) -> int:
        """Return the quote's total price."""
        return sum(self.prices.values())


def price(item: str, amount: int) -> Any:
    def fetch(step: Any) -> int:
        CALLS[item] = CALLS.get(item, 0) + 1
        return amount

    return fetch


async def build_quote(child: DurableContext) -> Quote:
    return Quote(
        {
            "flight": await child.step(price("flight", 420), name="flight"),
            "hotel": await child.step(price("hotel", 300), name="hotel"),
        }
    )


async def trip(event: Any, ctx: DurableContext) -> int:
    quote = await ctx.run_in_child_context(
        build_quote,
        name="quote",
        config=ChildConfig(
            replay_children=True, summary_generator=lambda q: f"{len(q.prices)} prices"
        ),
    )
    await ctx.step(lambda step: "booked", name="book")
    return quote.total()


async def test_the_quote_is_rebuilt_from_its_steps_on_every_replay() -> None:
    CALLS.clear()
    run = await DurableTestRunner(trip, always_replay=True).start()
    result = await run.result()

    assert result.result == 720
    details = run.operation("quote").operation.ContextDetails
    assert details is not None
    assert details.ReplayChildren is True
    assert details.Result == "2 prices"  # the summary; the Quote was never written
    assert CALLS == {"flight": 1, "hotel": 1}  # replays rebuilt it without running a step again


# --8<-- [end:replay-children]
