# Corpus: which nested code is orchestration (child contexts, map and parallel functions,
# helpers given the context, closures) and which is a step body.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import time
import uuid
from functools import partial

from durable_lambda import DurableContext, MapConfig, ParallelBranch, durable_execution


async def process_item(item_ctx, item, index, items):  # orchestration: ctx.map's function
    tag = uuid.uuid4()  # expect: DUR003
    return await item_ctx.step(lambda step: (item, time.time()), name=f"item-{index}")


async def branch_a(branch):  # orchestration: in ctx.parallel's list
    return time.time()  # expect: DUR001


async def branch_b(branch):  # orchestration: wrapped in a ParallelBranch
    return time.time()  # expect: DUR001


async def branch_c(branch, suffix):  # orchestration: a partial of it is a branch
    return uuid.uuid4()  # expect: DUR003


async def summarise(ctx, total):  # orchestration: the handler calls it with its context
    await ctx.step(lambda step: time.time(), name="summary")
    return time.time()  # expect: DUR001


async def not_durable(value):  # called without a context: not orchestration
    return time.time()


class Handlers:
    async def method(self, event, ctx: DurableContext):  # orchestration: takes a DurableContext
        return uuid.uuid4()  # expect: DUR003

    def helper(self):
        return uuid.uuid4()


@durable_execution
async def handler(event, ctx: DurableContext):
    async def child(child_ctx):  # orchestration: run as a child context
        stamp = time.time()  # expect: DUR001

        async def grandchild(inner):  # orchestration: a child of the child
            return uuid.uuid1()  # expect: DUR003

        await child_ctx.run_in_child_context(fn=grandchild, name="grandchild")
        return await child_ctx.step(lambda step: time.time(), name="in-child")

    def step_body(step):
        async def inside_step():  # inside a step body: not looked at
            return time.time()

        return uuid.uuid4()

    async def official_child(c):  # orchestration: given as func=
        return time.time()  # expect: DUR001

    await ctx.run_in_child_context(child, name="child")
    await ctx.run_in_child_context(func=official_child)
    await ctx.step(step_body)
    mapped = await ctx.map(event["items"], process_item, name="items")
    mapped_too = await ctx.map(
        inputs=event["items"],
        func=lambda c, item, index, items: c.step(lambda step: uuid.uuid4(), name=str(index)),
    )
    inline = await ctx.map(
        event["items"],
        lambda c, item, index, items: time.time(),  # expect: DUR001
        config=MapConfig(item_namer=lambda item, index: f"{item}-{index}"),
    )
    branches = [branch_a, ParallelBranch(branch_b, name="b"), partial(branch_c, suffix="c")]
    parallel = await ctx.parallel(branches, name="branches")
    official = await ctx.parallel(functions=[ParallelBranch(func=branch_a)])
    total = await summarise(ctx, 3)
    later = await not_durable(1)
    keys = sorted(event["keys"], key=lambda k: (k, time.time()))  # expect: DUR001
    return [mapped, mapped_too, inline, parallel, official, total, later, keys]
