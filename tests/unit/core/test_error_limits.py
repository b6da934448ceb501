"""Errors that fit, exceptions that cannot break the machinery, and nesting that stops in time.

* Every error object the SDK builds fits the service's 32,768-byte limit, measured as the
  strictest reader measures it: the stack trace gives way first (its top and innermost entries
  are kept), then the data, then the message, each with a marker saying what was cut.
* A step raising a ``RecursionError`` (a trace of 100 KB and more) or an exception with a
  100,000-character message is retried by its strategy and caught by ``except StepError``;
  before, the service refused the checkpoint and the execution FAILED.
* An exception whose ``__str__`` raises is recorded as a failure of its own type and retried.
* Child contexts nested deeper than ``MAX_CONTEXT_DEPTH`` fail with ``NestingTooDeepError``
  naming the depth, instead of a bare ``RecursionError`` somewhere in the machinery.

The runs go through ``DurableTestRunner``, whose local service refuses an update the real
service would refuse (an error object over the limit included).
"""

from __future__ import annotations

import json
import sys
import traceback
from types import FrameType
from typing import Any, NoReturn

import pytest

from durable_lambda import (
    ChildConfig,
    DurableContext,
    Duration,
    JitterStrategy,
    NestingTooDeepError,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    create_retry_strategy,
)
from durable_lambda.core.error_fit import MAX_ERROR_BYTES, error_object_size, fit_error_object
from durable_lambda.core.errors import error_object_from_exception, exception_message
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.operations.child import MAX_CONTEXT_DEPTH
from durable_lambda.service.operations.rules import MAX_ERROR_BYTES as SERVICE_MAX_ERROR_BYTES
from durable_lambda.testing import DurableTestRunner

THREE_ATTEMPTS = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration(1),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


def emulator_size(error: ErrorObject) -> int:
    """The official emulator's measure: ``len(json.dumps(error))``, escapes and spaces."""
    return len(json.dumps(error.to_wire()))


def service_size(error: ErrorObject) -> int:
    """The service's measure: UTF-8 bytes of the JSON as sent."""
    return len(json.dumps(error.to_wire(), separators=(",", ":"), ensure_ascii=False).encode())


def assert_fits(error: ErrorObject) -> None:
    assert error_object_size(error) <= MAX_ERROR_BYTES
    assert emulator_size(error) <= MAX_ERROR_BYTES
    assert service_size(error) <= MAX_ERROR_BYTES


def ping(depth: int) -> int:
    # Two functions calling each other: Python cannot fold the trace into "line repeated".
    return pong(depth + 1)


def pong(depth: int) -> int:
    return ping(depth + 1)


def recursion_error() -> RecursionError:
    try:
        ping(0)
    except RecursionError as error:
        return error
    raise AssertionError("no RecursionError")


def raised(error: Exception) -> Exception:
    try:
        raise error
    except Exception as caught:
        return caught


# region fitting


def test_the_limit_is_the_local_services_limit() -> None:
    assert MAX_ERROR_BYTES == SERVICE_MAX_ERROR_BYTES == 32_768


def test_an_error_that_fits_is_kept_as_it_is() -> None:
    error = ErrorObject(ErrorType="ValueError", ErrorMessage="bad", StackTrace=("a", "b"))
    assert fit_error_object(error) is error


def test_a_recursion_error_keeps_the_top_and_the_innermost_frames_of_its_trace() -> None:
    error = recursion_error()
    full_trace = traceback.format_exception(type(error), error, error.__traceback__)
    assert len(json.dumps(full_trace)) > 3 * MAX_ERROR_BYTES  # the attack: ~100 KB of frames

    described = error_object_from_exception(error)

    assert_fits(described)
    trace = described.StackTrace
    assert trace is not None
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "RecursionError: maximum recursion depth exceeded"
    [marker] = [entry for entry in trace if "stack trace entries left out" in entry]
    left_out = int(marker.split()[1])
    assert len(trace) - 1 + left_out == len(full_trace)
    # Most of what is kept is the innermost end, where the failure is.
    assert trace.index(marker) < len(trace) // 3
    assert described.ErrorType == "RecursionError"
    assert described.ErrorMessage == "maximum recursion depth exceeded"


def test_a_long_message_is_cut_after_the_trace_and_says_so() -> None:
    described = error_object_from_exception(raised(ValueError("x" * 100_000)))

    assert_fits(described)
    message = described.ErrorMessage
    assert message is not None
    assert message.startswith("x" * 10_000)
    assert message.endswith(
        "... [message trimmed to fit the 32768-byte error limit; 100000 characters in all]"
    )
    # The trace keeps its floor: the frames, and the start of the innermost entry.
    trace = described.StackTrace
    assert trace is not None
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1].startswith("ValueError: xxx")
    assert "[entry trimmed" in trace[-1]
    assert 1000 < len(json.dumps(list(trace))) <= 4096


def test_non_ascii_text_is_measured_as_the_strictest_reader_measures_it() -> None:
    # 20,000 emoji: 80 KB in UTF-8, 240 KB as escaped JSON.
    described = error_object_from_exception(raised(ValueError("😀" * 20_000)))

    assert_fits(described)
    assert described.ErrorMessage is not None
    assert described.ErrorMessage.startswith("😀" * 1000)


def test_the_trace_gives_way_first_then_the_data_then_the_message() -> None:
    big = ErrorObject(
        ErrorType="Custom",
        ErrorMessage="m" * 40_000,
        ErrorData="d" * 40_000,
        StackTrace=tuple(f"frame {i:05d} " + "f" * 80 for i in range(500)),
    )

    fitted = fit_error_object(big)

    assert_fits(fitted)
    assert fitted.ErrorType == "Custom"
    assert fitted.StackTrace is not None
    assert fitted.ErrorData is not None
    assert fitted.ErrorMessage is not None
    # Trace and data are down to their floors (4 KiB each); the message keeps the rest.
    assert len(json.dumps(list(fitted.StackTrace))) <= 4096
    assert len(json.dumps(fitted.ErrorData)) <= 4096
    assert len(fitted.ErrorMessage) > 20_000
    assert "error data trimmed" in fitted.ErrorData
    assert "message trimmed" in fitted.ErrorMessage
    assert fitted.StackTrace[-1] == big.StackTrace[-1]  # type: ignore[index]


def test_only_the_trace_gives_way_when_that_is_enough() -> None:
    big = ErrorObject(
        ErrorType="Custom",
        ErrorMessage="m" * 10_000,
        ErrorData="d" * 10_000,
        StackTrace=tuple("f" * 100 for _ in range(500)),
    )

    fitted = fit_error_object(big)

    assert_fits(fitted)
    assert fitted.ErrorMessage == big.ErrorMessage
    assert fitted.ErrorData == big.ErrorData
    assert fitted.StackTrace is not None
    assert len(fitted.StackTrace) < 500


def test_even_a_huge_error_type_fits_in_the_end() -> None:
    fitted = fit_error_object(
        ErrorObject(ErrorType="T" * 50_000, ErrorMessage="m" * 50_000, ErrorData="d" * 50_000)
    )

    assert_fits(fitted)
    assert fitted.ErrorType is not None
    assert fitted.ErrorType.startswith("TTTT")


def test_a_lone_surrogate_is_written_as_an_escape_that_utf8_stores_can_hold() -> None:
    described = error_object_from_exception(raised(ValueError("caf\udce9")))

    assert described.ErrorMessage == "caf\\udce9"
    assert described.StackTrace is not None
    assert "ValueError: caf\\udce9" in described.StackTrace
    described.model_dump_json()  # pydantic, like the file store, refuses a lone surrogate


class UnprintableError(Exception):
    """An exception whose ``__str__`` itself fails."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_an_exception_whose_str_raises_is_still_described_as_its_own_type() -> None:
    error = raised(UnprintableError())

    assert exception_message(error) == "<UnprintableError.__str__ raised RuntimeError>"
    described = error_object_from_exception(error)
    assert described.ErrorType == "UnprintableError"
    assert described.ErrorMessage == "<UnprintableError.__str__ raised RuntimeError>"


# endregion
# region through the local runtime


def recurse(step: StepContext) -> NoReturn:
    ping(0)
    raise AssertionError("unreachable")


def long_message(step: StepContext) -> NoReturn:
    raise ValueError("y" * 100_000)


def unprintable(step: StepContext) -> NoReturn:
    raise UnprintableError


@pytest.mark.parametrize(
    ("body", "error_type"),
    [(recurse, "RecursionError"), (long_message, "ValueError")],
    ids=["recursion-error", "100k-message"],
)
async def test_a_step_whose_error_is_too_large_is_retried_and_caught(
    body: Any, error_type: str
) -> None:
    attempts: list[int] = []

    def counted(step: StepContext) -> NoReturn:
        attempts.append(step.attempt)
        body(step)
        raise AssertionError("unreachable")

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        try:
            await ctx.step(counted, name="big-error", config=THREE_ATTEMPTS)
        except StepError as error:
            return {"caught": True, "message": error.message[:20]}
        return {"caught": False}

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result["caught"] is True
    assert attempts == [1, 2, 3]
    step = run.step("big-error")
    assert step.attempts == 3
    assert step.error is not None
    assert step.error.ErrorType == error_type
    assert_fits(step.error)


async def test_an_exception_whose_str_raises_fails_its_step_and_is_retried() -> None:
    attempts: list[int] = []

    def counted(step: StepContext) -> NoReturn:
        attempts.append(step.attempt)
        raise UnprintableError

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.step(counted, name="unprintable", config=THREE_ATTEMPTS)
        except StepError:
            return "caught"
        return "not raised"

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == "caught"
    assert attempts == [1, 2, 3]
    step = run.step("unprintable")
    assert step.error is not None
    assert step.error.ErrorType == "UnprintableError"


@pytest.mark.parametrize(
    ("filters", "attempts"),
    [
        ({"retryable_error_types": (UnprintableError,)}, 3),
        ({"retryable_errors": ("timeout",)}, 1),
    ],
    ids=["retried-by-type", "not-matched-by-message"],
)
async def test_retry_filters_read_an_exception_whose_str_raises(
    filters: dict[str, Any], attempts: int
) -> None:
    made: list[int] = []

    def counted(step: StepContext) -> NoReturn:
        made.append(step.attempt)
        raise UnprintableError

    strategy = RetryStrategyConfig(
        max_attempts=3, initial_delay=Duration(1), jitter_strategy=JitterStrategy.NONE, **filters
    )
    step_config = StepConfig(retry_strategy=create_retry_strategy(strategy))

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.step(counted, name="filtered", config=step_config)
        except StepError:
            return "caught"
        return "not raised"

    result = await DurableTestRunner(handler).run()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == "caught"
    assert len(made) == attempts


# endregion
# region nesting depth


def frames_in_use() -> int:
    frame: FrameType | None = sys._getframe(1)
    count = 0
    while frame is not None:
        count += 1
        frame = frame.f_back
    return count


async def nest(ctx: DurableContext, level: int, target: int, config: ChildConfig | None) -> int:
    """Nest ``target`` child contexts; at the deepest, return the frames an async step has left."""
    if level == target:

        async def leaf(step: StepContext) -> int:
            return sys.getrecursionlimit() - frames_in_use()

        return await ctx.step(leaf, name="leaf")
    return await ctx.run_in_child_context(
        lambda child: nest(child, level + 1, target, config), name=f"level-{level}", config=config
    )


@pytest.mark.parametrize(
    "config", [None, ChildConfig(is_virtual=True)], ids=["checkpointed", "virtual"]
)
async def test_child_contexts_nest_to_the_documented_depth_with_room_to_spare(
    config: ChildConfig | None,
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        return await nest(ctx, 0, MAX_CONTEXT_DEPTH, config)

    result = await DurableTestRunner(handler).run()

    assert result.status == "SUCCEEDED", result.error
    # The deepest code still has half of Python's default 1,000 frames for itself (measured:
    # 649 under checkpointed contexts, 549 under virtual ones, whose levels take a frame more).
    assert result.result >= 500


@pytest.mark.parametrize(
    "config", [None, ChildConfig(is_virtual=True)], ids=["checkpointed", "virtual"]
)
async def test_one_level_past_the_depth_fails_with_an_error_naming_it(
    config: ChildConfig | None,
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        return await nest(ctx, 0, MAX_CONTEXT_DEPTH + 1, config)

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NestingTooDeepError"
    assert result.error.ErrorMessage is not None
    assert "nested 101 deep; at most 100" in result.error.ErrorMessage


async def test_the_error_carries_the_depth_and_the_limit() -> None:
    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        try:
            await nest(ctx, 0, 500, None)
        except NestingTooDeepError as error:
            return {"depth": error.depth, "max": error.max_depth, "name": error.operation_name}
        return {}

    result = await DurableTestRunner(handler).run()

    assert result.result == {"depth": 101, "max": 100, "name": "level-100"}


async def test_contexts_one_after_another_do_not_add_up() -> None:
    async def one(child: DurableContext) -> int:
        return await child.run_in_child_context(lambda grandchild: _one(), name="inner")

    async def handler(event: Any, ctx: DurableContext) -> int:
        total = 0
        for index in range(3 * MAX_CONTEXT_DEPTH):
            total += await ctx.run_in_child_context(one, name=f"sibling-{index}")
        return total

    result = await DurableTestRunner(handler).run()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == 3 * MAX_CONTEXT_DEPTH


async def _one() -> int:
    return 1


# endregion
