# Corpus for DUR007 (set-iteration): literals, constructors, comprehensions, set-typed names.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    for region in set(event["regions"]):  # expect: DUR007
        await ctx.step(lambda step: region, name=f"deploy-{region}")
    for name in {"a", "b"}:  # expect: DUR007
        await ctx.step(lambda step: name, name=name)
    for tag in frozenset(event["tags"]):  # expect: DUR007
        await ctx.step(lambda step: tag, name=tag)
    for word in {w.lower() for w in event["words"]}:  # expect: DUR007
        await ctx.step(lambda step: word, name=word)
    unique = set(event["ids"])
    names = [f"item-{i}" for i in unique]  # expect: DUR007
    both = unique | {"extra"}
    joined = ", ".join(both)  # expect: DUR007
    as_list = list(unique)  # expect: DUR007
    first = unique.pop()  # expect: DUR007
    calls = [ctx.step(lambda step: i) for i in unique.union(event["more"])]  # expect: DUR007
    # Orders that do not depend on the hash seed.
    for region in sorted(set(event["regions"])):
        await ctx.step(lambda step: region, name=f"sorted-{region}")
    total = sum(len(i) for i in unique)
    count = len(unique)
    present = "x" in unique
    again = {i.upper() for i in unique}
    biggest = max(i for i in unique)
    return [names, joined, as_list, first, calls, total, count, present, again, biggest]


async def typed(event, ctx: DurableContext, regions: set[str]):
    for region in regions:  # expect: DUR007
        await ctx.step(lambda step: region, name=region)
