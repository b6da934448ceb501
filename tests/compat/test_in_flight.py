"""An execution started by the official SDK, suspended on a callback, finishes on ours.

Against the official emulator (``dex-local-runner`` on 127.0.0.1): the first invocation runs the
handler on the official SDK and suspends waiting for the callback; the function is then "deployed"
with durable-lambda (the same source, imports switched) and the callback answered; the next
invocation replays the official SDK's checkpoints on ours and completes. The result must equal
what the official SDK alone returns, for a JSON answer and a plain-text one. The way back (started
on ours, finished on the official SDK) holds too, since ``durable_lambda.compat.aws`` writes the
official SDK's payload bytes.

Both SDKs run in the worker processes of the test Lambda endpoint, which use this environment's
interpreter: the official SDK is the dev dependency installed here (the same pinned 3.0.0 as in
the oracle's own environment), since one process must be able to run either.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorSession, Path]]:
    """The emulator with one function, ``Switch``, whose SDK a file chooses per invocation."""
    work_dir = tmp_path_factory.mktemp("in-flight")
    switch = work_dir / "sdk"
    switch.write_text("official")
    with pytest.MonkeyPatch.context() as patch:
        # Read by the worker processes, which inherit this environment.
        patch.setenv("DURABLE_LAMBDA_SWITCH", str(switch))
        patch.setenv("PYTHONPATH", str(HERE))
        emulator = EmulatorSession({"Switch": "switching:handler"}, {}, work_dir)
        try:
            emulator.start()
            yield emulator, switch
        finally:
            emulator.close()


def _callback_id(emulator: EmulatorSession, arn: str) -> str:
    """Wait until the first invocation created the callback and ended; return the callback id."""
    started = emulator.wait_for_event(arn, "CallbackStarted")
    deadline = time.monotonic() + 30
    while not any(e["EventType"] == "InvocationCompleted" for e in emulator.history(arn)):
        if time.monotonic() > deadline:
            raise TimeoutError("the first invocation did not end")
        time.sleep(0.2)
    callback_id: str = started["CallbackStartedDetails"]["CallbackId"]
    return callback_id


def _run(
    emulator: EmulatorSession,
    switch: Path,
    event: dict[str, Any],
    answer: str,
    *,
    first: str = "official",
    then: str,
) -> tuple[dict[str, Any], list[str]]:
    """Start on ``first``, answer the callback after switching to ``then``; return the end."""
    log = Path(f"{switch}.log")
    log.write_text("")
    switch.write_text(first)
    arn = emulator.start_execution("Switch", event)
    callback_id = _callback_id(emulator, arn)
    switch.write_text(then)
    emulator.client.send_durable_execution_callback_success(
        CallbackId=callback_id, Result=answer.encode()
    )
    execution = emulator.wait(arn)
    assert execution["Status"] == "SUCCEEDED", execution
    return json.loads(execution["Result"]), log.read_text().split()


@pytest.mark.parametrize(
    ("event", "answer"),
    [
        ({"order": "o-1"}, '{"approved": true}'),
        ({"order": "o-2"}, "successful"),
        ({"order": "o-3", "wait_for_callback": True}, "successful"),
        ({"order": "o-4", "wait_for_callback": True}, '{"t": "d", "v": "1.50"}'),
    ],
    ids=["json", "text", "wait_for_callback-text", "wait_for_callback-envelope-look-alike"],
)
def test_an_execution_suspended_on_a_callback_by_the_official_sdk_completes_on_ours(
    session: tuple[EmulatorSession, Path], event: dict[str, Any], answer: str
) -> None:
    emulator, switch = session
    official_only, official_sdks = _run(emulator, switch, event, answer, then="official")
    moved, moved_sdks = _run(emulator, switch, event, answer, then="ours")

    assert official_sdks == ["official", "official"]
    assert moved_sdks == ["official", "ours"]
    assert moved == official_only
    assert moved["answer"] == answer  # the raw text, as the official SDK hands it over


def test_an_execution_started_on_ours_completes_on_the_official_sdk(
    session: tuple[EmulatorSession, Path],
) -> None:
    emulator, switch = session
    event, answer = {"order": "o-5"}, '{"approved": false}'
    official_only, _ = _run(emulator, switch, event, answer, then="official")
    moved, sdks = _run(emulator, switch, event, answer, first="ours", then="official")

    assert sdks == ["ours", "official"]
    assert moved == official_only
