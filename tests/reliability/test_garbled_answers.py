"""Garbled 200 answers, end to end: handler -> AWS adapter (boto3) -> fault proxy -> emulator.

A 200 answer whose body botocore cannot read (cut short, ``{}``, an HTML page) comes out of
botocore as an empty answer. Before, the adapter took an empty ``GetDurableExecutionState``
answer for a valid last page: the handler replayed with part of its state missing and ran
completed steps again; the same answer to the checkpoint that starts a callback ended the
execution FAILED ("no CallbackId") although the service had created the callback; and a page
that named its own marker again kept the invocation paging for ever.

Each test here runs ``big_state`` on the official emulator: 24 steps of 240 kB each (5.8 MB of
state, more than the 5 MiB the emulator puts in an invocation input, so every replay reads the
rest with ``GetDurableExecutionState``), a one-second wait, a last step, and optionally a
callback. The proxy garbles the answers the test names. Every test checks that

* the execution SUCCEEDS with the right result (every step's 240 kB result read back);
* no step body ran twice (the bodies count their runs, in this process) and the history starts
  each step once;
* the garbled answer was retried in the adapter (one fault) or made Lambda retry the invocation
  (faults outlasting the adapter's three retries), and never ended the execution.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from emulator import dex
from fault_proxy import GARBLED_FAULTS
from fault_rig import Rig, fault_rig

from durable_lambda import DurableContext, Duration, StepContext, durable_execution
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.paging import PagingError

pytestmark = pytest.mark.emulator

BLOBS = 24
BLOB_BYTES = 240_000
READ_TIMEOUT = 30.0  # answers of several MB on a busy machine: a timeout here is no fault
INJECTED: Counter[str] = Counter()

_lock = threading.Lock()
BODY_RUNS: Counter[tuple[str, str]] = Counter()
"""How often each step body ran, by (run, step name)."""
CALLBACK_IDS: dict[str, list[str]] = {}
"""The callback id each invocation of a run was handed, by run."""


def counted(run: str, name: str, compute: Callable[[], Any]) -> Callable[[StepContext], Any]:
    """A step body that counts its runs: its side effect."""

    def body(step: StepContext) -> Any:
        with _lock:
            BODY_RUNS[(run, name)] += 1
        return compute()

    return body


@durable_execution
async def big_state(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """Steps whose results outgrow one state page, a wait, a step, and maybe a callback."""
    run: str = event["run"]
    total = 0
    for index in range(BLOBS):
        name = f"blob-{index}"
        blob: str = await ctx.step(counted(run, name, lambda: "b" * BLOB_BYTES), name=name)
        total += len(blob)
    await ctx.wait(Duration.from_seconds(1), name="pause")
    tail: int = await ctx.step(counted(run, "tail", lambda: 7), name="tail")
    answer = None
    if event.get("callback"):
        callback = await ctx.create_callback("approval")
        with _lock:
            CALLBACK_IDS.setdefault(run, []).append(callback.callback_id)
        raw = await callback.result()
        # The answer's text, or the value it decodes to, depending on the serializer: either
        # way the same value here.
        answer = json.loads(raw) if isinstance(raw, str) else raw
    return {"total": total, "tail": tail, "answer": answer}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    log = tmp_path_factory.mktemp("emulator") / "dex-local-runner.log"
    with fault_rig({"BigState": big_state}, log, READ_TIMEOUT) as started:
        yield started


@dataclass
class Outcome:
    """How one execution went."""

    arn: str
    run: str
    execution: dict[str, Any]
    invocations: list[str]


def run_with_faults(rig: Rig, *faults: str, on: str, callback: bool = False) -> Outcome:
    """Queue ``faults`` for calls of kind ``on``, run one execution to its end; say how it went.

    With ``callback``, the callback is answered once a replay has been handed its id.
    """
    rig.proxy.inject(*faults, on=on)
    run = uuid.uuid4().hex
    arn = ""
    try:
        arn = dex.start_execution(rig.emulator.url, "BigState", {"run": run, "callback": callback})
        if callback:
            callback_id = wait_for_callback_id(rig, arn, run)
            rig.emulator.client.send_durable_execution_callback_success(
                CallbackId=callback_id, Result=json.dumps({"approved": True}).encode()
            )
        execution = dex.wait_for_end(rig.emulator.client, arn, timeout=120, poll=0.05)
    except TimeoutError as error:  # say what happened, for a failure seen only in CI
        log = rig.log.read_text()[-3000:] if rig.log.exists() else ""
        raise AssertionError(
            f"{error}\nstate calls {rig.proxy.state_calls}\ncheckpoint faults "
            f"{[call.fault for call in rig.proxy.calls]}\n"
            f"outcomes {rig.endpoint.outcomes.get(arn)}\n{log}"
        ) from None
    assert rig.proxy.pending_faults == 0, "the execution ended before every fault was injected"
    INJECTED.update(fault for fault in faults if fault != "pass")
    return Outcome(arn, run, execution, rig.endpoint.outcomes[arn])


def wait_for_callback_id(rig: Rig, arn: str, run: str, timeout: float = 120) -> str:
    """The callback id the handler was handed (polled: the handler runs in another thread).

    Raises:
        AssertionError: the execution ended before any invocation was handed the id.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            ids = CALLBACK_IDS.get(run)
        if ids:
            return ids[0]
        outcomes = rig.endpoint.outcomes.get(arn) or []
        assert not {"FAILED", "SUCCEEDED"} & set(outcomes), (
            f"the execution ended before its callback had an id: {outcomes}, "
            f"{rig.endpoint.errors.get(arn)}"
        )
        time.sleep(0.05)
    raise TimeoutError(f"run {run} was never handed a callback id")


def assert_completed_once_each(rig: Rig, outcome: Outcome, callback: bool = False) -> None:
    """The execution SUCCEEDED with every result read back, and no step body ran twice."""
    execution = outcome.execution
    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"]) == {
        "total": BLOBS * BLOB_BYTES,
        "tail": 7,
        "answer": {"approved": True} if callback else None,
    }
    runs = {name: count for (run, name), count in BODY_RUNS.items() if run == outcome.run}
    twice = {name: count for name, count in runs.items() if count != 1}
    assert not twice, f"step bodies ran more than once: {twice}"
    assert len(runs) == BLOBS + 1
    started = Counter(
        event.get("Name")
        for event in rig.emulator.history(outcome.arn)
        if event["EventType"] == "StepStarted"
    )
    assert set(started.values()) == {1}, f"a step was started twice: {started}"
    if callback:
        ids = set(CALLBACK_IDS[outcome.run])
        assert len(ids) == 1, f"replays were handed different callback ids: {ids}"


def test_without_faults_the_state_needs_paging(rig: Rig) -> None:
    outcome = run_with_faults(rig, on="state")

    assert_completed_once_each(rig, outcome)
    assert outcome.invocations == ["PENDING", "SUCCEEDED"]
    # The second invocation's input held about 5 MiB of the state; the rest came by paging.
    assert [call.fault for call in rig.proxy.state_calls] == [None]
    assert rig.proxy.state_calls[0].marker


@pytest.mark.parametrize("fault", ["truncated", "empty", "html"])
def test_a_garbled_state_page_is_read_again_never_taken_for_the_last_one(
    rig: Rig, fault: str
) -> None:
    outcome = run_with_faults(rig, fault, on="state")

    assert_completed_once_each(rig, outcome)
    assert outcome.invocations == ["PENDING", "SUCCEEDED"], "the adapter's retry sufficed"
    first, again = rig.proxy.state_calls
    assert (first.fault, again.fault) == (fault, None)
    assert first.marker == again.marker


@pytest.mark.parametrize("fault", ["truncated", "empty", "html"])
def test_garbled_state_pages_outlasting_the_retries_make_lambda_retry(rig: Rig, fault: str) -> None:
    outcome = run_with_faults(rig, *[fault] * 4, on="state")

    assert_completed_once_each(rig, outcome)
    assert outcome.invocations == [
        "PENDING",
        "raised CheckpointError retriable=True",
        "SUCCEEDED",
    ]
    (error,) = rig.endpoint.errors[outcome.arn]
    assert isinstance(error, CheckpointError)
    assert "GetDurableExecutionState" in str(error)
    assert "gave up after 4 attempts" in str(error)


def test_a_state_page_that_points_back_at_itself_makes_lambda_retry(rig: Rig) -> None:
    outcome = run_with_faults(rig, "repeat-marker", on="state")

    assert_completed_once_each(rig, outcome)
    assert outcome.invocations == ["PENDING", "raised PagingError retriable=True", "SUCCEEDED"]
    (error,) = rig.endpoint.errors[outcome.arn]
    assert isinstance(error, PagingError)
    assert error.marker == rig.proxy.state_calls[0].marker
    # One page read, its repeated marker refused: nothing paged in a loop.
    assert [call.fault for call in rig.proxy.state_calls] == ["repeat-marker", None]


def test_without_faults_the_callback_execution_completes(rig: Rig) -> None:
    outcome = run_with_faults(rig, on="callback-start", callback=True)

    assert_completed_once_each(rig, outcome, callback=True)
    assert outcome.invocations == ["PENDING", "PENDING", "SUCCEEDED"]


@pytest.mark.parametrize("fault", ["truncated", "empty", "html"])
def test_a_garbled_answer_to_the_callback_start_is_asked_again(rig: Rig, fault: str) -> None:
    outcome = run_with_faults(rig, fault, on="callback-start", callback=True)

    assert_completed_once_each(rig, outcome, callback=True)
    assert outcome.invocations == ["PENDING", "PENDING", "SUCCEEDED"]
    starts = [call for call in rig.proxy.calls if call.fault == fault]
    assert len(starts) == 1
    retry = rig.proxy.calls[rig.proxy.calls.index(starts[0]) + 1]
    assert (retry.client_token, retry.checkpoint_token, retry.fault) == (
        starts[0].client_token,
        starts[0].checkpoint_token,
        None,
    ), "the retry must be the same call, answered from the service's idempotency record"


@pytest.mark.parametrize("fault", ["truncated", "empty", "html"])
def test_garbled_answers_to_the_callback_start_outlasting_the_retries_make_lambda_retry(
    rig: Rig, fault: str
) -> None:
    outcome = run_with_faults(rig, *[fault] * 4, on="callback-start", callback=True)

    assert_completed_once_each(rig, outcome, callback=True)
    assert outcome.invocations == [
        "PENDING",
        "raised CheckpointError retriable=True",
        "PENDING",
        "SUCCEEDED",
    ]
    (error,) = rig.endpoint.errors[outcome.arn]
    assert "CheckpointDurableExecution" in str(error)


def test_a_callback_start_answered_without_its_id_makes_lambda_retry(rig: Rig) -> None:
    outcome = run_with_faults(rig, "no-callback-id", on="callback-start", callback=True)

    assert_completed_once_each(rig, outcome, callback=True)
    assert outcome.invocations == [
        "PENDING",
        "raised CheckpointError retriable=True",
        "PENDING",
        "SUCCEEDED",
    ]
    (error,) = rig.endpoint.errors[outcome.arn]
    assert "CallbackId" in str(error)


def test_every_garbled_answer_kind_was_injected(figures: Callable[[str, Any], None]) -> None:
    if not INJECTED:
        pytest.skip("reports what the tests before it in this module measured; run them too")
    # Runs last in this module: the tests above injected every kind of garbled answer.
    missing = set(GARBLED_FAULTS) - set(INJECTED)
    assert not missing, f"never injected: {missing}"
    figures("garbled answers injected", dict(INJECTED) | {"total": sum(INJECTED.values())})
