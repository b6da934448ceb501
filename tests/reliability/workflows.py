"""Durable workflows the crash tests kill and resume: one per operation type, plus the pipeline.

Every step body goes through ``journal.tracked``: it appends ``enter`` and ``leave`` lines to an
append-only, fsynced journal (``RELIABILITY_JOURNAL``), so a test can count how often each body
ran across processes, and it kills its own process with SIGKILL on the n-th body run of that
process when ``RELIABILITY_KILL_BODY=n`` is set. Step names are unique within a workflow, so a
journal line names one step.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from durable_lambda import (
    CallbackConfig,
    DurableContext,
    Duration,
    MapConfig,
    ParallelBranch,
    StepConfig,
    StepContext,
    StepSemantics,
    WaitForCallbackConfig,
    WaitForCallbackContext,
    WaitForConditionConfig,
    durable_execution,
)
from durable_lambda.core.retry import WaitStrategyConfig, create_wait_strategy

__all__ = ["ANSWERS", "EVENTS", "FUNCTIONS", "PIPELINE", "WORKFLOWS", "journal_body"]

AT_MOST_ONCE = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "pipeline" / "handler.py"

_body_runs = 0


def journal_body(name: str, attempt: int, phase: str) -> None:
    """Append one line to the journal; on ``enter``, die here if this is the body run to kill.

    Args:
        name: The step (or submitter, or condition check) whose body runs.
        attempt: Its attempt number (0 when the body cannot know it).
        phase: ``enter`` or ``leave``.
    """
    global _body_runs
    path = os.environ.get("RELIABILITY_JOURNAL")
    if path:
        line = {"pid": os.getpid(), "phase": phase, "step": name, "attempt": attempt}
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    if phase != "enter":
        return
    _body_runs += 1
    if os.environ.get("RELIABILITY_KILL_BODY") == str(_body_runs):
        os.kill(os.getpid(), signal.SIGKILL)


def tracked(name: str, compute: Callable[[], Any]) -> Callable[[StepContext], Any]:
    """Return a step body that journals its run of ``compute``."""

    def body(step: StepContext) -> Any:
        journal_body(name, step.attempt, "enter")
        value = compute()
        journal_body(name, step.attempt, "leave")
        return value

    return body


async def tracked_step(
    ctx: DurableContext, name: str, compute: Callable[[], Any], config: StepConfig | None = None
) -> Any:
    """Run ``compute`` as the tracked step ``name``; journal ``returned`` once the step returns.

    A ``returned`` line says the user's code got the result back: from then on the step must
    never run again, whatever happens to the process (see ``Scenario._check_journal``).
    """
    value = await ctx.step(tracked(name, compute), name=name, config=config)
    journal_body(name, 0, "returned")
    return value


@durable_execution
async def steps(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Plain steps and one at-most-once step."""
    a: int = await tracked_step(ctx, "a", lambda: event["n"] + 1)
    b: int = await tracked_step(ctx, "b", lambda: a * 2)
    c: int = await tracked_step(ctx, "c", lambda: b + 100, AT_MOST_ONCE)
    d: int = await tracked_step(ctx, "d", lambda: c - 1)
    return {"a": a, "b": b, "c": c, "d": d}


@durable_execution
async def waits(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    """Steps separated by waits of a few seconds and of a day."""
    first: int = await tracked_step(ctx, "first", lambda: 1)
    await ctx.wait(Duration.from_seconds(5), name="short")
    second: int = await tracked_step(ctx, "second", lambda: first + 1)
    await ctx.wait(Duration.from_days(1), name="long")
    third: int = await tracked_step(ctx, "third", lambda: second + 1)
    return [first, second, third]


@durable_execution
async def child(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Nested child contexts with steps inside."""

    async def inner(inner_ctx: DurableContext) -> int:
        value: int = await tracked_step(inner_ctx, "inner", lambda: 7)
        return value

    async def outer(outer_ctx: DurableContext) -> list[int]:
        x: int = await tracked_step(outer_ctx, "outer-1", lambda: 3)
        y = await outer_ctx.run_in_child_context(inner, name="nested")
        z: int = await tracked_step(outer_ctx, "outer-2", lambda: x * y)
        return [x, y, z]

    values = await ctx.run_in_child_context(outer, name="outer")
    total: int = await tracked_step(ctx, "total", lambda: sum(values))
    return {"values": values, "total": total}


@durable_execution
async def callbacks(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """A created callback, then a wait_for_callback with a submitter; both answered."""
    callback = await ctx.create_callback(
        "approve", CallbackConfig(timeout=Duration.from_seconds(3600))
    )
    approved = await callback.result()

    def submit(callback_id: str, submitter: WaitForCallbackContext) -> None:
        journal_body("review-submitter", 0, "enter")
        journal_body("review-submitter", 0, "leave")

    review = await ctx.wait_for_callback(
        submit, name="review", config=WaitForCallbackConfig(timeout=Duration.from_seconds(3600))
    )
    after: str = await tracked_step(ctx, "after", lambda: "done")
    return {"approved": approved, "review": review, "after": after}


def doubler(payload: dict[str, Any]) -> dict[str, Any]:
    """A plain function that ``ctx.invoke`` calls."""
    return {"doubled": payload["value"] * 2}


@durable_execution
async def invoke(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """A chained invoke between two steps."""
    value: int = await tracked_step(ctx, "prepare", lambda: 21)
    answer = await ctx.invoke("doubler", {"value": value}, name="double")
    final: int = await tracked_step(ctx, "finish", lambda: answer["doubled"] + 1)
    return {"answer": answer, "final": final}


@durable_execution
async def condition(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """wait_for_condition polling a counter up to 3, then a step."""

    def check(state: dict[str, int], step: StepContext) -> dict[str, int]:
        journal_body(f"poll-{step.attempt}", step.attempt, "enter")
        journal_body(f"poll-{step.attempt}", step.attempt, "leave")
        return {"n": state["n"] + 1}

    strategy = create_wait_strategy(
        WaitStrategyConfig[dict[str, int]](
            should_continue_polling=lambda state: state["n"] < 3,
            initial_delay=Duration.from_seconds(2),
        )
    )
    config = WaitForConditionConfig(wait_strategy=strategy, initial_state={"n": 0})
    state = await ctx.wait_for_condition(check, config, name="counter")
    done: str = await tracked_step(ctx, "done", lambda: "ok")
    return {"state": state, "done": done}


@durable_execution
async def mapped(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    """A map of six items, three at a time; item 4 runs an at-most-once step."""

    async def square(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
        config = AT_MOST_ONCE if index == 4 else None
        name = f"square-{index}"
        value: int = await item_ctx.step(tracked(name, lambda: item * item), name, config)
        return value

    outcome = await ctx.map(
        [1, 2, 3, 4, 5, 6], square, name="squares", config=MapConfig(max_concurrency=3)
    )
    outcome.throw_if_error()
    return outcome.get_results()


@durable_execution
async def parallel(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    """Three branches: two steps, and a step after a wait."""

    def branch(name: str, value: int, wait: bool) -> ParallelBranch[int]:
        async def run(branch_ctx: DurableContext) -> int:
            if wait:
                await branch_ctx.wait(Duration.from_seconds(10), name=f"{name}-pause")
            result: int = await branch_ctx.step(tracked(name, lambda: value), name=name)
            return result

        return ParallelBranch(run, name=f"branch-{name}")

    outcome = await ctx.parallel(
        [branch("x", 1, False), branch("y", 2, True), branch("z", 3, False)], name="fan-out"
    )
    outcome.throw_if_error()
    return outcome.get_results()


_HERE = Path(__file__).resolve()
WORKFLOWS: dict[str, str] = {
    name: f"{_HERE}:{name}"
    for name in ("steps", "waits", "child", "callbacks", "invoke", "condition", "mapped")
} | {
    "parallel": f"{_HERE}:parallel",
    "many_steps": f"{_HERE}:many_steps",
    "big_map": f"{_HERE}:big_map",
    "big_step": f"{_HERE}:big_step",
    "big_child": f"{_HERE}:big_child",
    "big_result": f"{_HERE}:big_result",
    "pipeline": f"{PIPELINE}:handler",
}
"""Workflow name -> the target the orchestrator loads."""

EVENTS: dict[str, Any] = {
    "steps": {"n": 4},
    "many_steps": {"steps": 200},
    "pipeline": {"workflowId": "wf-crash", "inputData": {"items": ["alpha", "bravo", "charlie"]}},
}
"""The input of each workflow ({} when not listed)."""

ANSWERS: dict[str, dict[str, Any]] = {
    "callbacks": {"approve": {"ok": True}, "review": {"score": 5}},
    "pipeline": {"approval": {"approved": True, "reviewer": "crash-test"}},
}
"""Callback answers the orchestrator sends, by callback (or context) name."""

FUNCTIONS: dict[str, Any] = {"doubler": doubler}
"""What ``ctx.invoke`` may call."""


@durable_execution
async def two_steps(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    """Two steps: what the checkpoint-fault tests run against the emulator."""
    one: int = await ctx.step(lambda _: event["x"] + 1, name="one")
    await ctx.wait(Duration.from_seconds(1), name="pause")
    two: int = await ctx.step(lambda _: one * 10, name="two")
    return {"one": one, "two": two}


@durable_execution
async def many_steps(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    """``event["steps"]`` steps (200 by default) in a row, each returning its index."""
    total = 0
    for index in range(event.get("steps", 200)):
        body = tracked(f"step-{index}", functools.partial(int, index))
        value: int = await ctx.step(body, f"step-{index}")
        total += value
    return {"total": total}


@durable_execution
async def big_map(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    """A map over ``event["items"]`` items, each a step that doubles its item."""

    async def double(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
        value: int = await item_ctx.step(lambda _: item * 2, name="double")
        return value

    outcome = await ctx.map(list(range(event["items"])), double, name="doubles")
    outcome.throw_if_error()
    results = outcome.get_results()
    return {"count": len(results), "total": sum(results)}


KIB = 1024


@durable_execution
async def big_step(event: dict[str, Any], ctx: DurableContext) -> int:
    """A step whose result is over the 256 KiB per-operation limit."""
    blob: str = await ctx.step(tracked("blob", lambda: "s" * (300 * KIB)), name="blob")
    return len(blob)


@durable_execution
async def big_child(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    """A child context whose result (two 150 KiB step results) is over 256 KiB; then a wait."""

    async def halves(child_ctx: DurableContext) -> list[str]:
        first: str = await child_ctx.step(tracked("half-1", lambda: "a" * (150 * KIB)), "half-1")
        second: str = await child_ctx.step(tracked("half-2", lambda: "b" * (150 * KIB)), "half-2")
        return [first, second]

    parts = await ctx.run_in_child_context(halves, name="halves")
    await ctx.wait(Duration.from_seconds(5), name="then-wait")
    return {"first": len(parts[0]), "second": len(parts[1]), "a": parts[0].count("a")}


@durable_execution
async def big_result(event: dict[str, Any], ctx: DurableContext) -> str:
    """A result of 7 MiB, over Lambda's 6 MiB response limit."""
    seed: str = await ctx.step(tracked("seed", lambda: "r"), name="seed")
    return seed * (7 * KIB * KIB)
