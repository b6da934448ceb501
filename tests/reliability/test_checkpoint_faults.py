"""Checkpoint API faults, end to end: handler -> AWS adapter (boto3) -> fault proxy -> emulator.

The official emulator runs executions of ``two_steps`` (a step, a one-second wait, a step) and
invokes them through an endpoint in this process whose ``LambdaDurableService`` talks to the
emulator through ``FaultProxy``. Each test queues faults for the next checkpoint calls and checks
what the SDK documents for them (``adapters/aws/lambda_service.py``):

* throttling, 5xx, time-outs and dropped answers are retried in-process (3 retries) with the
  same ClientToken, and the invocation goes on as if nothing happened;
* past the retries, or with a stale token, the invocation raises a retriable error and Lambda
  (the emulator) invokes again, which succeeds;
* a fault no retry can fix (a KMS error) ends the execution FAILED with a ``CheckpointError``;
* a checkpoint applied whose answer was lost is not applied twice (the history holds each step
  once), because the retry carries the same ClientToken.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fault_proxy import FAULTS
from fault_rig import Rig, fault_rig
from workflows import two_steps

from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError

pytestmark = pytest.mark.emulator

READ_TIMEOUT = 1.0
EXPECTED = {"one": 8, "two": 80}
INJECTED: Counter[str] = Counter()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    log = tmp_path_factory.mktemp("emulator") / "dex-local-runner.log"
    with fault_rig({"TwoSteps": two_steps}, log, READ_TIMEOUT) as started:
        yield started


def run_with_faults(rig: Rig, *faults: str) -> tuple[str, dict[str, Any], list[str]]:
    """Queue ``faults``, run one execution; return its ARN, its description, its invocations."""
    rig.proxy.inject(*faults)
    try:
        arn, execution = rig.emulator.run("TwoSteps", {"x": 7})
    except TimeoutError as error:  # say what happened, for a failure seen only in CI
        calls = [(call.fault, call.client_token) for call in rig.proxy.calls]
        log = rig.log.read_text()[-3000:] if rig.log.exists() else ""
        outcomes = dict(rig.endpoint.outcomes)
        raise AssertionError(f"{error}\ncalls {calls}\noutcomes {outcomes}\n{log}") from None
    assert rig.proxy.pending_faults == 0, "the execution ended before every fault was injected"
    INJECTED.update(fault for fault in faults if fault != "pass")
    return arn, execution, rig.endpoint.outcomes[arn]


def steps_in_history(rig: Rig, arn: str) -> Counter[tuple[str, str]]:
    return Counter(
        (event["EventType"], event.get("Name") or "")
        for event in rig.emulator.history(arn)
        if event["EventType"] in ("StepStarted", "StepSucceeded", "WaitStarted")
    )


def assert_succeeded_once_each(rig: Rig, arn: str, execution: dict[str, Any]) -> None:
    assert execution["Status"] == "SUCCEEDED", execution.get("Error")
    assert json.loads(execution["Result"]) == EXPECTED
    assert steps_in_history(rig, arn) == Counter(
        {
            ("StepStarted", "one"): 1,
            ("StepSucceeded", "one"): 1,
            ("WaitStarted", "pause"): 1,
            ("StepStarted", "two"): 1,
            ("StepSucceeded", "two"): 1,
        }
    ), "a checkpoint was applied twice (or lost)"


def test_without_faults_two_invocations_succeed(rig: Rig) -> None:
    arn, execution, outcomes = run_with_faults(rig)
    assert_succeeded_once_each(rig, arn, execution)
    assert outcomes == ["PENDING", "SUCCEEDED"]


@pytest.mark.parametrize(
    "faults",
    [
        ("too-many-requests", "too-many-requests"),
        ("throttling", "throttling", "throttling"),
        ("server-error", "server-error"),
        ("timeout",),
        ("drop",),
        ("drop", "server-error", "too-many-requests"),
    ],
)
def test_transient_faults_are_retried_in_process_with_the_same_client_token(
    rig: Rig, faults: tuple[str, ...]
) -> None:
    arn, execution, outcomes = run_with_faults(rig, *faults)

    assert_succeeded_once_each(rig, arn, execution)
    assert outcomes == ["PENDING", "SUCCEEDED"], "a fault escaped the in-process retries"
    first = rig.proxy.calls[: len(faults) + 1]
    assert [call.fault for call in first] == [*faults, None]
    assert len({(call.client_token, call.checkpoint_token) for call in first}) == 1, (
        "a retry changed its ClientToken or checkpoint token"
    )
    assert first[0].client_token


@pytest.mark.parametrize("fault", ["too-many-requests", "server-error", "drop"])
def test_a_fault_outlasting_the_retries_makes_lambda_retry_the_invocation(
    rig: Rig, fault: str
) -> None:
    arn, execution, outcomes = run_with_faults(rig, *[fault] * 4)

    assert_succeeded_once_each(rig, arn, execution)
    if fault == "drop":
        # Every attempt reached the emulator: the wait started, and had ended (time is
        # skipped) when Lambda invoked again, so that invocation finished the execution.
        assert outcomes == ["raised CheckpointError retriable=True", "SUCCEEDED"]
    else:
        assert outcomes == ["raised CheckpointError retriable=True", "PENDING", "SUCCEEDED"]
    (error,) = rig.endpoint.errors[arn]
    assert isinstance(error, CheckpointError)
    assert "gave up after 4 attempts" in str(error)


def test_a_stale_token_makes_lambda_retry_the_invocation_with_a_fresh_one(rig: Rig) -> None:
    # The first call passes; the next one carries that first call's token, long rotated.
    arn, execution, outcomes = run_with_faults(rig, "pass", "stale-token")
    assert_succeeded_once_each(rig, arn, execution)
    assert outcomes == ["PENDING", "raised InvalidCheckpointTokenError retriable=True", "SUCCEEDED"]
    assert isinstance(rig.endpoint.errors[arn][0], InvalidCheckpointTokenError)


def test_a_fault_no_retry_can_fix_fails_the_execution_once(rig: Rig) -> None:
    _, execution, outcomes = run_with_faults(rig, "kms")

    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorType"] == "CheckpointError"
    assert "KMSAccessDeniedException" in execution["Error"]["ErrorMessage"]
    assert outcomes == ["FAILED"], "a permanent fault must not be retried"
    assert [call.fault for call in rig.proxy.calls] == ["kms"]


def test_every_fault_kind_was_injected(figures: Callable[[str, Any], None]) -> None:
    if not INJECTED:
        pytest.skip("reports what the tests before it in this module measured; run them too")
    # Runs last in this module: the tests above injected every kind of fault.
    missing = set(FAULTS) - set(INJECTED)
    assert not missing, f"never injected: {missing}"
    figures("checkpoint faults injected", dict(INJECTED) | {"total": sum(INJECTED.values())})
