"""The examples of docs/lint.md: a handler the linter passes, a silenced line, the linter API."""

# ruff: noqa: D103
# --8<-- [start:imports]
import os
from pathlib import Path
from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.app.lint import lint_paths, lint_source
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:handler]


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    # Read once per published version (a version's environment never changes), so every replay
    # of this execution sees the same value: the linter is told so, for this rule only.
    table = os.environ.get("ORDERS_TABLE", "orders")  # durable: ignore[environment]
    key = str(ctx.uuid4())  # the same key on every replay
    stored = await ctx.step(lambda step: {"table": table, "key": key}, name="store")
    return {"stored": stored, "at": ctx.now().isoformat()}


# --8<-- [end:handler]


async def test_the_handler_runs_and_the_linter_passes_it() -> None:
    result = await DurableTestRunner(handler, always_replay=True).run({})
    assert result.result["stored"]["table"] == os.environ.get("ORDERS_TABLE", "orders")

    report = lint_paths([Path(__file__)])
    assert (report.findings, report.exit_code) == ((), 0)


# --8<-- [start:api]
SOURCE = """
import time
from durable_lambda import DurableContext

async def elapsed(event, ctx: DurableContext) -> float:
    started = time.time()
    await ctx.step(lambda step: time.time(), name="inside-a-step-is-fine")
    return started
"""


def test_the_linter_reports_the_clock_read_outside_the_step() -> None:
    (finding,) = lint_source(SOURCE, "elapsed.py")
    assert (finding.path, finding.line, finding.column) == ("elapsed.py", 6, 15)
    assert (finding.rule.code, finding.rule.name) == ("DUR001", "wall-clock")
    assert finding.function == "elapsed"
    assert finding.rule.hint.startswith("use ctx.now()")


# --8<-- [end:api]
