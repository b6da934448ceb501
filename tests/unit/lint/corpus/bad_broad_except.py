# Corpus for DUR011 (broad-except).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
from durable_lambda import DurableContext, Duration, StepError, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    try:
        await ctx.wait(Duration.from_hours(1), name="hour")
    except:  # expect: DUR011
        pass
    try:
        callback = await ctx.create_callback(name="approval")
        answer = await callback.result()
    except BaseException:  # expect: DUR011
        answer = None
    try:
        await ctx.step(lambda step: 1, name="a")
    except (ValueError, BaseException) as error:  # expect: DUR011
        ctx.logger.info("failed", error=str(error))
    try:
        await ctx.step(lambda step: 2, name="b")
    except Exception:  # lets the suspension through
        pass
    try:
        await ctx.step(lambda step: 3, name="c")
    except StepError:
        pass
    try:
        await ctx.step(lambda step: 4, name="d")
    except BaseException:  # re-raised
        ctx.logger.info("cleaning up")
        raise
    try:
        await ctx.step(lambda step: 5, name="e")
    except BaseException as error:  # re-raised by name
        raise error
    try:
        total = sum(event["values"])
    except:  # no durable call in the try
        total = 0
    return [answer, total]
