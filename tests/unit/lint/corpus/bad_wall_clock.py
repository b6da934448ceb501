# Corpus for DUR001 (wall-clock): every "# expect:" line is a finding, nothing else is.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import datetime
import time

from durable_lambda import DurableContext, Duration, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    started = time.time()  # expect: DUR001
    now = datetime.datetime.now()  # expect: DUR001
    utc = datetime.datetime.utcnow()  # expect: DUR001
    today = datetime.date.today()  # expect: DUR001
    also_today = datetime.datetime.today()  # expect: DUR001
    tick = time.monotonic()  # expect: DUR001
    fine = time.perf_counter_ns()  # expect: DUR001
    stamp = time.strftime("%H:%M")  # expect: DUR001
    local = time.localtime()  # expect: DUR001
    # Given a time, these read no clock.
    formatted = time.strftime("%H:%M", time.gmtime(0))
    converted = time.localtime(0)
    await ctx.wait(Duration.from_seconds(1), name="pause")
    recorded = ctx.now()
    inside = await ctx.step(lambda step: time.time(), name="clock")
    return [started, now, utc, today, also_today, tick, fine, stamp, local, recorded, inside]
