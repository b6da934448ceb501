"""``non_blocking``: mark a plain function to run inline on the event loop, with no thread hop.

The SDK runs a plain (``def``) user function, a step body, a map function, a parallel branch, a
``wait_for_callback`` submitter or a ``wait_for_condition`` check, in a worker thread
(``core/body_threads.py``), since it may block: two hand-overs between threads a call, 25 to 50
µs on a small machine, more than the whole rest of a step. A function marked ``non_blocking``
is called directly on the event loop's thread instead, as an ``async def`` function is awaited
there, and as the official SDK calls its (plain) step functions on the handler's thread.

What the mark changes is only where the function runs; what it sees and what its outcome means
stay those of a plain function run in a thread:

* it runs in a copy of the caller's context (``contextvars``): it reads the caller's context
  variables, and what it sets stays in its call;
* what it returns, or raises, is handled as any user function's (``call_user_function``): an
  awaitable it returns is awaited on the loop, an exception goes to the step's retry strategy;
* it cannot be interrupted: while it runs nothing else on the event loop runs (no other branch
  of a map or parallel, no checkpoint answer, no timer), and neither a step's time-out nor the
  invocation's deadline can stop it. Both limits are applied when it returns (see
  ``core/operations/attempt.py``). A marked function that does block stalls the whole
  invocation for as long as it blocks, and if that outlasts Lambda's time-out, Lambda ends the
  invocation with the attempt unrecorded (the step runs again on the next one).

Mark only functions that do not block: pure computation that is short, building a request,
reading what is in memory. Blocking I/O belongs in an unmarked plain function or, better, an
``async def`` one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from durable_lambda.core.errors import ValidationError

__all__ = ["is_non_blocking", "non_blocking"]

F = TypeVar("F", bound=Callable[..., Any])

MARK = "__durable_non_blocking__"
"""The attribute ``non_blocking`` sets to True (a wrapper has it as a class attribute)."""


def non_blocking(fn: F) -> F:
    """Mark the plain function ``fn`` non-blocking: the SDK calls it on the event loop's thread.

    Use it as a decorator (``@non_blocking`` on a ``def``) or a call (``ctx.step(non_blocking(
    lambda step: compute(x)))``). It applies wherever the SDK calls a plain user function: a step
    body, a map function, a parallel branch, a ``wait_for_callback`` submitter, a
    ``wait_for_condition`` check. A marked function saves the two thread hand-overs an unmarked
    plain function costs a call (see docs/performance.md), and is then called as the official
    SDK calls its step functions: inline.

    The function runs in a copy of the caller's context variables, its result and exceptions are
    handled as any plain function's, and a ``functools.partial`` of it is marked too. An ``async
    def`` function is awaited on the loop already; marking it changes nothing.

    The function must not block: while it runs, nothing else on the event loop runs (other
    branches of a map or parallel, checkpoint answers, timers), and it cannot be interrupted.
    A step's time-out and the invocation's deadline are applied only when it returns: an attempt
    that outran its time-out then fails with ``StepTimeoutError`` (its result dropped, as an
    abandoned thread's is), and after the deadline margin the invocation ends at its next step.
    A marked function that blocks past Lambda's time-out loses its attempt to Lambda's kill.

    Args:
        fn: The function to mark. A function (or a ``functools.partial``) is marked in place
            and returned; a callable that takes no attributes (a bound method, a builtin) is
            returned wrapped in a marked callable that calls it.

    Returns:
        ``fn`` itself, marked, or a marked wrapper of it (same call signature).

    Raises:
        ValidationError: ``fn`` is not callable.
    """
    if not callable(fn):
        raise ValidationError(f"non_blocking needs a callable, got {type(fn).__name__}", field="fn")
    if is_non_blocking(fn):
        return fn
    try:
        setattr(fn, MARK, True)
    except (AttributeError, TypeError):
        # A bound method or a builtin takes no attributes; marking the method's function would
        # mark it for every instance, so the mark goes on a wrapper instead.
        return cast(F, _Marked(fn))
    return fn


def is_non_blocking(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` was marked with ``non_blocking`` (or is a ``functools.partial`` of one)."""
    while True:
        # ``is True``: an object answering every attribute (a mock) is not marked by accident.
        if getattr(fn, MARK, False) is True:
            return True
        if not isinstance(fn, functools.partial):
            return False
        fn = fn.func


class _Marked:
    """A marked callable that calls one that takes no attributes; other attributes are its."""

    __slots__ = ("__wrapped__",)
    __durable_non_blocking__ = True

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # ``__name__``, or the name a decorator recorded, as the wrapped callable has them.
        if name == "__wrapped__":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return f"non_blocking({self.__wrapped__!r})"
