# Corpus for DUR005 (secrets).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import secrets

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    token = secrets.token_hex(16)  # expect: DUR005
    choice = secrets.choice(event["codes"])  # expect: DUR005
    inside = await ctx.step(lambda step: secrets.token_urlsafe(), name="token")
    return [token, choice, inside]
