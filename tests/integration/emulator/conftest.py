"""One official emulator and one Lambda endpoint for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.service import EmulatorSession

DURABLE_FUNCTIONS = {
    "StepRetry": "emulator.handlers:step_retry",
    "StepFails": "emulator.handlers:step_fails",
    "WaitBetweenSteps": "emulator.handlers:wait_between_steps",
    "CallbackApproval": "emulator.handlers:callback_approval",
    "InvokeTargets": "emulator.handlers:invoke_targets",
    "DurableTarget": "emulator.handlers:durable_target",
    "MapSquares": "emulator.handlers:map_squares",
    "ParallelBranches": "emulator.handlers:parallel_branches",
    "DeadlineNeverFinishes": "emulator.resilience_handlers:never_finishes",
    "DeadlineLateStep": "emulator.resilience_handlers:late_step",
    "SagaCrash": "emulator.resilience_handlers:saga_crash",
}
PLAIN_FUNCTIONS = {
    "PlainTarget": "emulator.handlers:plain_target",
    "FailingTarget": "emulator.handlers:failing_target",
}


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorSession]:
    """The running emulator and endpoint; stopped when the session ends."""
    work_dir: Path = tmp_path_factory.mktemp("emulator")
    session = EmulatorSession(DURABLE_FUNCTIONS, PLAIN_FUNCTIONS, work_dir)
    try:
        session.start()
        yield session
    finally:
        session.close()
