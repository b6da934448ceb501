# Corpus: every hazard, but inside step bodies (which run once and are recorded): no findings.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import asyncio
import datetime
import os
import random
import secrets
import time
import uuid
from functools import partial

import requests

from durable_lambda import (
    DurableContext,
    StepContext,
    WaitForCallbackContext,
    WaitForConditionConfig,
    durable_execution,
)


def fetch(url: str, step: StepContext):  # a step body by its StepContext parameter
    return requests.get(url).json()


def stamp(prefix):  # no annotation; a step body because ctx.step is given it
    return f"{prefix}-{time.time()}-{uuid.uuid4()}"


def submit(callback_id: str, context: WaitForCallbackContext):
    requests.post(os.environ["HOOK"], json={"id": callback_id, "at": time.time()})


def poll(state, check):
    return {"done": random.random() > 0.5, "seen": datetime.datetime.now().isoformat()}


@durable_execution
async def handler(event, ctx: DurableContext):
    def local_body(step):
        for key in {"a", "b"}:
            os.environ.get(key)
        return secrets.token_hex()

    async def async_body(step):
        results = await asyncio.gather(asyncio.sleep(0), return_exceptions=True)
        try:
            return requests.get(event["url"])
        except BaseException:
            return results

    body = lambda step: datetime.date.today().isoformat()
    a = await ctx.step(partial(fetch, event["url"]), name="fetch")
    b = await ctx.step(partial(stamp, "order"), name="stamp")
    c = await ctx.step(local_body, name="local")
    d = await ctx.step(async_body, name="async")
    e = await ctx.step(body, name="named-lambda")
    f = await ctx.step(fn=lambda step: time.monotonic(), name="keyword")
    g = await ctx.step(func=lambda step: uuid.uuid1(), name="official-keyword")
    h = await ctx.wait_for_callback(submit, name="hook")
    i = await ctx.wait_for_condition(poll, WaitForConditionConfig(initial_state={}), name="poll")
    j = await ctx.wait_for_condition(
        lambda state, check: random.choice([state]), WaitForConditionConfig(initial_state=0)
    )
    k = await ctx.wait_for_callback(lambda callback_id, c: requests.post(callback_id))
    return [a, b, c, d, e, f, g, h, i, j, k]
