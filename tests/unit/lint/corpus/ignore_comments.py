# Corpus: "# durable: ignore" silences its line: every rule, or the ones it names.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import os
import time
import uuid

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    a = time.time()  # durable: ignore
    b = time.time()  # durable: ignore[DUR001]
    c = time.time()  # durable: ignore[wall-clock]
    d = os.environ["A"]  # durable: ignore[DUR001, DUR004]
    e = time.time()  # durable: ignore[DUR004]  # expect: DUR001
    f = uuid.uuid4()  # noqa: E501  # durable: ignore[uuid]
    g = uuid.uuid4()  # DURABLE: IGNORE[dur003]
    h = time.time()  # durable: ignore[E501]  # expect: DUR001
    i = (
        time.time()  # durable: ignore[DUR001]
    )
    j = (  # durable: ignore
        time.time()  # expect: DUR001
    )
    text = "# durable: ignore"; k = time.time()  # expect: DUR001
    return [a, b, c, d, e, f, g, h, i, j, text, k]
