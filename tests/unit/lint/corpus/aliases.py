# Corpus: imports under other names are resolved; local names that shadow a module are not it.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import datetime as d
import os as operating_system
import random as r
import time as t
from datetime import date
from datetime import datetime as dt
from os import environ, getenv
from random import choice as pick
from time import time as clock
from urllib import request
from uuid import uuid4 as new_id

import boto3 as aws

from durable_lambda import DurableContext as Ctx
from durable_lambda import durable_execution as durable


@durable
async def handler(event, ctx: Ctx):
    a = dt.now()  # expect: DUR001
    b = d.datetime.utcnow()  # expect: DUR001
    c = date.today()  # expect: DUR001
    e = t.monotonic()  # expect: DUR001
    f = clock()  # expect: DUR001
    g = r.randint(1, 2)  # expect: DUR002
    h = pick(event["items"])  # expect: DUR002
    i = new_id()  # expect: DUR003
    j = environ["HOME"]  # expect: DUR004
    k = getenv("HOME")  # expect: DUR004
    m = operating_system.environ.get("HOME")  # expect: DUR004
    n = request.urlopen(event["url"])  # expect: DUR006
    o = aws.client("s3")  # expect: DUR006
    return [a, b, c, e, f, g, h, i, j, k, m, n, o]


@durable
async def shadowed(event, ctx: Ctx):
    random = ctx.random()  # a local named like the module is not the module
    first = random.randint(1, 6)
    time = ctx.now()
    when = time.isoformat()

    def clock():
        return 0

    set = list  # hides the builtin
    for item in set(event["items"]):
        await ctx.step(lambda step: item, name=str(item))
    return [first, when, clock()]


@durable
async def parameters(event, ctx: Ctx, uuid4=lambda: "fixed", environ=None):
    return [uuid4(), environ]
