"""Errors that fit and text that survives, end to end: the official emulator and the file store.

* Against the official emulator (``dex-local-runner``, which refuses an error object over
  32,768 bytes as the service does): a step raising a ``RecursionError`` (a trace of about
  100 KB) and one raising a 100,000-character message are retried by their strategy, three
  attempts each, and caught by the handler's ``except StepError``. Before, the emulator refused
  the first RETRY and the execution ended FAILED after one attempt.
* On the file store, through the orchestrator: accented text and emoji in the input, a step's
  result, a child context's result and the execution's result read back equal, and what the
  SDK wrote is stored as UTF-8 text, not escapes. A step error whose message holds a lone
  surrogate (which UTF-8 cannot carry, and the record file is UTF-8) is stored with the
  surrogate escaped; before, that error made every save of the record fail, and the execution
  could not go on.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from emulated_lambda import CREDENTIALS, REGION, EmulatorProcess, InvokeEndpoint

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    create_retry_strategy,
    durable_execution,
)
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.app.orchestrator import LocalOrchestrator
from durable_lambda.core.error_fit import MAX_ERROR_BYTES
from durable_lambda.service.record import ExecutionStatus

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


# region handlers


def _ping(depth: int) -> int:
    # Two functions calling each other: Python cannot fold the trace into "line repeated".
    return _pong(depth + 1)


def _pong(depth: int) -> int:
    return _ping(depth + 1)


def _recurse(step: StepContext) -> NoReturn:
    _ping(0)
    raise AssertionError("unreachable")


def _long_message(step: StepContext) -> NoReturn:
    raise ValueError("z" * 100_000)


async def _caught(ctx: DurableContext, body: Any) -> dict[str, Any]:
    try:
        await ctx.step(body, name="too-big", config=THREE_ATTEMPTS)
    except StepError as error:
        return {"caught": True, "start": error.message[:10]}
    return {"caught": False}


@durable_execution
async def recursion_error(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """A step that always ends in a RecursionError."""
    return await _caught(ctx, _recurse)


@durable_execution
async def long_message(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """A step that always raises an exception with a 100,000-character message."""
    return await _caught(ctx, _long_message)


TEXT = {"name": "Zoë Ångström", "note": "café 😀 naïve", "tags": ["élan", "🎉"]}


def _lone_surrogate(step: StepContext) -> NoReturn:
    raise ValueError("bad file name caf\udce9")


async def _same(value: Any) -> Any:
    return value


@durable_execution
async def unicode_workflow(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Non-ASCII text through a step, a child context and the result; a lone surrogate error."""
    stepped = await ctx.step(lambda _: {**event, "seen": "✓"}, name="text")
    child = await ctx.run_in_child_context(lambda c: _same(stepped), name="child")
    try:
        await ctx.step(
            _lone_surrogate, name="surrogate", config=StepConfig(retry_strategy=RetryPresets.none())
        )
    except StepError as error:
        message = error.message
    return {"step": stepped, "child": child, "error": message}


# endregion
# region the official emulator


@dataclass
class Rig:
    """The emulator and the endpoint that runs the handlers in this process."""

    emulator: EmulatorProcess
    endpoint: InvokeEndpoint


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    saved = {key: os.environ.get(key) for key in (*CREDENTIALS, "AWS_DEFAULT_REGION")}
    os.environ.update(CREDENTIALS | {"AWS_DEFAULT_REGION": REGION})
    log = tmp_path_factory.mktemp("emulator") / "dex-local-runner.log"
    functions = {"RecursionError": recursion_error, "LongMessage": long_message}
    endpoint: InvokeEndpoint | None = None
    emulator: EmulatorProcess | None = None
    try:
        # The emulator needs the endpoint's URL and the endpoint the emulator's.
        endpoint = InvokeEndpoint(functions, "http://127.0.0.1:9", read_timeout=30)
        emulator = EmulatorProcess(list(functions), endpoint.url, log)
        endpoint.service_url = emulator.url
        yield Rig(emulator, endpoint)
    finally:
        for part in (endpoint, emulator):
            if part is not None:
                part.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.emulator
@pytest.mark.parametrize(
    ("function", "error_type"),
    [("RecursionError", "RecursionError"), ("LongMessage", "ValueError")],
)
def test_a_too_large_step_error_is_retried_and_caught_against_the_emulator(
    rig: Rig, function: str, error_type: str
) -> None:
    arn, execution = rig.emulator.run(function, {})

    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"])["caught"] is True
    events = rig.emulator.history(arn)
    started = [e for e in events if e["EventType"] == "StepStarted"]
    failed = [e for e in events if e["EventType"] == "StepFailed"]
    assert len(started) == 3  # every attempt the strategy allows
    assert len(failed) == 3
    for event in failed:
        error = event["StepFailedDetails"]["Error"]["Payload"]
        assert error["ErrorType"] == error_type
        assert len(json.dumps(error)) <= MAX_ERROR_BYTES
    # One invocation per attempt; none raised for Lambda to retry.
    assert rig.endpoint.outcomes[arn] == ["PENDING", "PENDING", "SUCCEEDED"]


# endregion
# region the file store


def test_non_ascii_text_and_a_lone_surrogate_round_trip_through_the_file_store(
    tmp_path: Path,
) -> None:
    target = f"{Path(__file__).resolve()}:unicode_workflow"

    async def go() -> str:
        orchestrator = LocalOrchestrator(FileExecutionStore(tmp_path), clock=FakeClock())
        arn = await orchestrator.start(target, TEXT)
        await asyncio.wait_for(orchestrator.run(arn), timeout=60)
        return arn

    arn = asyncio.run(go())
    record = asyncio.run(FileExecutionStore(tmp_path).load(arn))  # a fresh store reads it back

    assert record.status is ExecutionStatus.SUCCEEDED, record.error
    assert record.result is not None
    result = json.loads(record.result)
    assert result["step"] == {**TEXT, "seen": "✓"}
    assert result["child"] == result["step"]
    assert result["error"] == "bad file name caf\\udce9"
    # The SDK wrote the step's result and the execution's as UTF-8 text, not escapes, and that
    # is what the record file holds.
    [step] = [op for op in record.operations.values() if op.Name == "text"]
    assert step.result_payload is not None
    assert "Zoë Ångström" in step.result_payload
    assert "😀" in record.result
    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert "Zoë Ångström".encode() in stored
    assert "😀".encode() in stored


# endregion
