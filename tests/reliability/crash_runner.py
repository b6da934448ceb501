"""A fork server that drives the crash-test workflows through the local orchestrator.

Started as ``python crash_runner.py``; it imports everything once, prints ``ready``, then reads
one JSON job per line on stdin and forks a child per job, so a test that kills hundreds of
processes pays for a fork each time, not for a Python start-up. A job is::

    {"mode": "start" | "resume", "workflow": name, "root": store dir, "out": result file,
     "env": {variables}}

The child puts ``env`` into its environment, then starts the workflow (``start``) or resumes the
execution a killed process left (``resume``) on a ``FileExecutionStore`` at ``root``, under the
execution's run lock, as ``durable-lambda resume`` does. It writes a JSON summary to ``out``
when the execution ends. The variables that make it die (with SIGKILL, so nothing is flushed):

* ``RELIABILITY_KILL_CHECKPOINT_BEFORE=k`` / ``..._AFTER=k``: just before checkpoint call k is
  sent to the service, or just after the service applied it, before the answer is used;
* ``RELIABILITY_KILL_SAVE_BEFORE=k`` / ``..._AFTER=k``: around the k-th write of the record
  file (checkpoints, timers firing, callback answers, invocation records);
* ``RELIABILITY_KILL_BODY=n``: in the middle of the n-th step body this process runs.

With ``RELIABILITY_ACK_LOG`` set, the ids of the steps whose SUCCEED a checkpoint call returned
are appended (fsynced) to that file: checkpoints that must survive any later crash.

``RELIABILITY_CHECKPOINT_MODE`` picks the checkpoint mode (BATCHED by default).

The server answers ``forked <pid>`` then ``exited <pid> <signal or 0> <exit code>``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from workflows import ANSWERS, EVENTS, FUNCTIONS, WORKFLOWS, journal_body

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.app.loading import load_handler
from durable_lambda.app.orchestrator import CountingService, LocalOrchestrator
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.model import (
    CheckpointResponse,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

_CHILD_TIME_LIMIT = 30
T = TypeVar("T")


def _kill_if(variable: str, count: int) -> None:
    if os.environ.get(variable) == str(count):
        os.kill(os.getpid(), signal.SIGKILL)


def _note_acknowledged(updates: Sequence[OperationUpdate]) -> None:
    """Append the steps whose success the service acknowledged to ``RELIABILITY_ACK_LOG``."""
    path = os.environ.get("RELIABILITY_ACK_LOG")
    done = [
        update.Id
        for update in updates
        if update.Type is OperationType.STEP and update.Action is OperationAction.SUCCEED
    ]
    if not path or not done:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(f"{op_id}\n" for op_id in done).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


class CrashingService(CountingService):
    """Counts checkpoint calls and dies before or after the one the environment names."""

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Forward the call; SIGKILL this process around call k if asked to."""
        call = self.checkpoint_calls + 1
        _kill_if("RELIABILITY_KILL_CHECKPOINT_BEFORE", call)
        response = await super().checkpoint(execution_arn, checkpoint_token, updates, client_token)
        _kill_if("RELIABILITY_KILL_CHECKPOINT_AFTER", call)
        _note_acknowledged(updates)
        return response


class CrashingFileStore(FileExecutionStore):
    """A file store that counts record writes and dies around the one the environment names.

    A write is a whole record (``save``) or one change of it (``update``, the journal).
    """

    saves = 0

    async def save(self, record: ExecutionRecord) -> None:
        """Write the record; SIGKILL this process around write k if asked to."""
        CrashingFileStore.saves += 1
        _kill_if("RELIABILITY_KILL_SAVE_BEFORE", self.saves)
        await super().save(record)
        _kill_if("RELIABILITY_KILL_SAVE_AFTER", self.saves)

    async def update(self, arn: str, change: Callable[[ExecutionRecord], T]) -> T:
        """Change the record; SIGKILL this process around write k if asked to."""
        CrashingFileStore.saves += 1
        _kill_if("RELIABILITY_KILL_SAVE_BEFORE", self.saves)
        outcome = await super().update(arn, change)
        _kill_if("RELIABILITY_KILL_SAVE_AFTER", self.saves)
        return outcome


def _journal_pipeline() -> None:
    """Make the pipeline example's step bodies journal their runs (names = step names)."""
    sys.path.insert(0, str(Path(WORKFLOWS["pipeline"].rpartition(":")[0]).parent))
    from lib import callback_helper, data_processor  # type: ignore[import-not-found]

    def wrap(module: Any, attribute: str, name_of: Any) -> None:
        original = getattr(module, attribute)

        def journaled(*args: Any, **kwargs: Any) -> Any:
            name = name_of(*args)
            journal_body(name, 0, "enter")
            value = original(*args, **kwargs)
            journal_body(name, 0, "leave")
            return value

        setattr(module, attribute, journaled)

    wrap(data_processor, "create_work_items", lambda *_: "process-input")
    wrap(data_processor, "validate_stream", lambda *_: "validate")
    wrap(data_processor, "enrich_stream", lambda *_: "enrich")
    wrap(data_processor, "score_stream", lambda *_: "score")
    wrap(data_processor, "process_item", lambda item, *_: f"process-{item['id']}")
    wrap(data_processor, "aggregate", lambda *_: "aggregate")
    wrap(callback_helper, "describe_request", lambda *_: "approval-submitter")


def _latest_moment(record: ExecutionRecord) -> datetime:
    """The last moment the record mentions: a resumed fake clock starts there, never earlier."""
    moments = [event.EventTimestamp for event in record.history]
    return max(moments) if moments else FakeClock().now()


async def _drive(job: dict[str, Any]) -> dict[str, Any]:
    workflow = job["workflow"]
    store = CrashingFileStore(job["root"])
    clock = FakeClock()
    if job["mode"] == "resume":
        running = [s for s in await store.list_executions() if s.Status is ExecutionStatus.RUNNING]
        if running:
            record = await store.load(running[0].DurableExecutionArn)
            clock = FakeClock(_latest_moment(record))
    mode = CheckpointMode(os.environ.get("RELIABILITY_CHECKPOINT_MODE", "BATCHED"))
    orchestrator = LocalOrchestrator(
        store,
        clock=clock,
        functions=FUNCTIONS,
        checkpoint_mode=mode,
        poll_interval=1_000_000,
    )
    orchestrator.counting_service = CrashingService(orchestrator.local_service)
    if job["mode"] == "start":
        arn = await orchestrator.start(WORKFLOWS[workflow], EVENTS.get(workflow, {}), name="run")
    else:
        summaries = await store.list_executions()
        arn = summaries[0].DurableExecutionArn
    # The orchestrator holds the execution's run lock while it drives it.
    if workflow in ANSWERS or job["mode"] == "start":
        record = await orchestrator.run(arn, answers=ANSWERS.get(workflow))
    else:
        # Resume as `durable-lambda resume --all` does: every execution still running.
        await orchestrator.resume_all()
        record = await orchestrator.local_service.get_record(arn)
    return {
        "status": record.status.value,
        "result": record.result,
        "checkpoint_calls": orchestrator.counting_service.checkpoint_calls,
        "saves": CrashingFileStore.saves,
    }


def _child(job: dict[str, Any]) -> None:
    signal.alarm(_CHILD_TIME_LIMIT)  # a hung child dies of SIGALRM and the test reports it
    os.environ.update(job.get("env", {}))
    summary = asyncio.run(_drive(job))
    Path(job["out"]).write_text(json.dumps(summary))


_ANSWERS = 1


def _say(text: str) -> None:
    os.write(_ANSWERS, (text + "\n").encode())


def main() -> None:
    """Serve jobs until stdin closes (see the module docstring)."""
    global _ANSWERS
    # Answers go to the original stdout; anything a child prints (logs) goes to stderr.
    _ANSWERS = os.dup(1)
    os.dup2(2, 1)
    _journal_pipeline()
    for target in WORKFLOWS.values():
        load_handler(target)  # import every workflow once, before forking
    _say("ready")
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.close(_ANSWERS)
            code = 0
            try:
                _child(job)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        _say(f"forked {pid}")
        _, status = os.waitpid(pid, 0)
        killed_by = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        _say(f"exited {pid} {killed_by} {exit_code}")


if __name__ == "__main__":
    main()
