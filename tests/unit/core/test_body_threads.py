"""``run_in_thread``: plain-function bodies on long-lived worker threads."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from durable_lambda.core import body_threads
from durable_lambda.core.body_threads import run_in_thread
from durable_lambda.core.runtime import call_user_function

TRACE: contextvars.ContextVar[str] = contextvars.ContextVar("trace", default="none")


async def test_a_plain_body_runs_off_the_loop_in_the_callers_context() -> None:
    TRACE.set("trace-7")

    def body(step: None) -> tuple[int, str]:
        return threading.get_ident(), TRACE.get()

    thread, trace = await call_user_function(body, None)
    assert thread != threading.get_ident()
    assert trace == "trace-7"


async def test_threads_are_reused_from_one_call_to_the_next() -> None:
    # The pool is the process's: earlier tests may have left idle threads, any of which may take
    # a call. What must hold is that sequential calls start no thread once one is idle.
    await run_in_thread(threading.get_ident)  # at least one thread, idle once this returns
    started = body_threads._THREADS._threads
    threads = {await run_in_thread(threading.get_ident) for _ in range(20)}
    assert threading.get_ident() not in threads
    assert body_threads._THREADS._threads == started


async def test_what_the_body_raises_reaches_the_awaiting_task() -> None:
    def body() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        await run_in_thread(body)


async def test_a_body_that_blocks_does_not_hold_up_another() -> None:
    release = threading.Event()

    def blocked() -> str:
        release.wait(5)
        return "blocked"

    def quick() -> str:
        release.set()
        return "quick"

    outcomes = list(await asyncio.gather(run_in_thread(blocked), run_in_thread(quick)))
    assert outcomes == ["blocked", "quick"]
