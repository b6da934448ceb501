"""Per-invocation fixed cost, cold start, the plain-Python floor, and thread vs inline steps."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dependency_injector import providers

from benchmarks.harness import per, time_async, time_sync
from benchmarks.ours import NullService, replay_event
from durable_lambda.app.container import Container
from durable_lambda.app.lambda_handler import durable_execution
from durable_lambda.core.context import DurableContext
from durable_lambda.core.runtime import call_user_function

ROOT = Path(__file__).resolve().parent.parent


def fixed_cost(repeats: int) -> dict[str, Any]:
    """Time warm invocations of an empty handler through the Lambda entry point.

    ``setup`` is from the call to the handler's first line, ``teardown`` from its last line to
    the return of the Lambda entry point; both are medians over ``repeats`` warm invocations.
    """
    marks: dict[str, float] = {}
    container = Container()
    container.config.from_dict({"backend": "memory", "clock": "system", "logger": "lambda"})
    container.service.override(providers.Object(NullService()))

    async def empty(event: Any, ctx: DurableContext) -> str:
        marks["first"] = time.perf_counter()
        marks["last"] = time.perf_counter()
        return "ok"

    function = durable_execution(container=container)(empty)
    event = replay_event(0)
    setups: list[float] = []
    teardowns: list[float] = []
    totals: list[float] = []
    function(event, None)  # warm-up: the first call creates the container's event loop
    for _ in range(repeats):
        started = time.perf_counter()
        output = function(event, None)
        ended = time.perf_counter()
        assert output["Status"] == "SUCCEEDED", output
        setups.append(marks["first"] - started)
        teardowns.append(ended - marks["last"])
        totals.append(ended - started)
    return {
        "setup_ms": statistics.median(setups) * 1e3,
        "teardown_ms": statistics.median(teardowns) * 1e3,
        "total_ms": statistics.median(totals) * 1e3,
    }


_COLD_OURS = """
import time
started = time.perf_counter()
import durable_lambda
from durable_lambda import durable_execution

@durable_execution
async def handler(event, ctx):
    return event
"""

# After the import is timed: one invocation through the Lambda entry point, as Lambda makes it,
# against a stand-in boto3 client (set on the container the documented way) that acknowledges
# checkpoints. Whatever the import leaves for later (an operation module, structlog) and the
# invocation needs is paid here, so ``import_first_ms`` hides nothing.
_COLD_FIRST_CALL = """
class _StandInClient:
    calls = 0

    def checkpoint_durable_execution(self, **request):
        _StandInClient.calls += 1
        return {"CheckpointToken": f"t{_StandInClient.calls}", "NewExecutionState": {}}

    def get_durable_execution_state(self, **request):
        raise AssertionError("the event is a single page")

handler.lambda_container.aws_client.set_provides(_StandInClient())
_event = {
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e",
    "CheckpointToken": "t0",
    "InitialExecutionState": {"Operations": [{
        "Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1767225600000,
        "ExecutionDetails": {"InputPayload": "{}"},
    }]},
}
first_started = time.perf_counter()
_output = handler(_event, None)
first_call = time.perf_counter() - first_started
assert _output["Status"] == "SUCCEEDED", _output
"""

_COLD_OFFICIAL = """
import time
started = time.perf_counter()
import aws_durable_execution_sdk_python
from aws_durable_execution_sdk_python import durable_execution

@durable_execution
def handler(event, ctx):
    return event
"""

# The floor of a cold start for an async SDK whose wire models are pydantic models, once boto3
# is counted: what the imports alone cost, before any code of an SDK. Where it is not below the
# official SDK's whole cold start, "ours with boto3 no slower than official" needs a design
# without pydantic models on the cold path, not faster code.
_COLD_PYDANTIC_FLOOR = """
import time
started = time.perf_counter()
import asyncio
import boto3
from pydantic import BaseModel


class Operation(BaseModel):
    Id: str
    Status: str
"""

# Issue 18's cold start: the handler module (the SDK, a decorated handler with one step), import
# boto3 and create the client, then the first invocation. The client is real; a botocore hook
# answers its requests without a network, and notes when the SDK handed its first checkpoint to
# the client (``first_checkpoint``: botocore's own first-request work comes after that mark, for
# both SDKs alike) and when the request was ready to go on the wire (``first_send``).
_CLIENT_PRELUDE = """
import time
started = time.perf_counter()
"""

_CLIENT_OURS = (
    _CLIENT_PRELUDE
    + """
from durable_lambda import durable_execution
import boto3
client = boto3.client("lambda", region_name="us-east-1")

async def _one(step):
    return 1

@durable_execution(client=client)
async def handler(event, ctx):
    await ctx.step(_one, name="one")
    return event
"""
)

_CLIENT_OFFICIAL = (
    _CLIENT_PRELUDE
    + """
from aws_durable_execution_sdk_python import durable_execution
import boto3
client = boto3.client("lambda", region_name="us-east-1")

def _one(step):
    return 1

def _handler(event, ctx):
    ctx.step(_one, name="one")
    return event

handler = durable_execution(_handler, boto3_client=client)
"""
)

_CLIENT_FIRST_CALL = """
import json as _json
from botocore.awsrequest import AWSResponse as _AWSResponse

_marks = {}


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


def _handed_over(**kwargs):
    _marks.setdefault("handed", time.perf_counter())


def _answer(request, **kwargs):
    _marks.setdefault("sent", time.perf_counter())
    body = {"CheckpointToken": "t1", "NewExecutionState": {"Operations": []}}
    return _AWSResponse(request.url, 200, {}, _Raw(_json.dumps(body).encode()))


_HANDED = "before-parameter-build.lambda.CheckpointDurableExecution"
client.meta.events.register(_HANDED, _handed_over)
client.meta.events.register("before-send.lambda.*", _answer)


class _Context:
    aws_request_id = "request-1"
    function_name = "f"
    function_version = "1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/f"
    log_stream_name = "s"
    tenant_id = None

    def get_remaining_time_in_millis(self):
        return 900000


_event = {
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e",
    "CheckpointToken": "t0",
    "InitialExecutionState": {"Operations": [{
        "Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1767225600000,
        "ExecutionDetails": {"InputPayload": "{}"},
    }]},
}
import logging as _logging
_logging.disable(_logging.CRITICAL)
first_started = time.perf_counter()
_output = handler(_event, _Context())
first_call = time.perf_counter() - first_started
assert _output["Status"] == "SUCCEEDED", _output
first_checkpoint = _marks["handed"] - first_started
first_send = _marks["sent"] - first_started
"""

# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report its parent's.
_COLD_REPORT = """
elapsed = time.perf_counter() - started
first_call = first_checkpoint = first_send = None
{first_call}
import json
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")]
print(json.dumps({{
    "import_s": elapsed, "first_call_s": first_call,
    "first_checkpoint_s": first_checkpoint, "first_send_s": first_send,
    "maxrss_kb": int(hwm[0].split()[1]) if hwm else 0,
}}))
"""

_COLD_MEMORY = """
import tracemalloc
tracemalloc.start()
{body}
import json
print(json.dumps({{"peak_bytes": tracemalloc.get_traced_memory()[1]}}))
"""


def _python_run(python: str, code: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    completed = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(completed.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class ColdVariant:
    """One way to cold-start an SDK: which interpreter, what code, what extra environment."""

    name: str
    python: str
    body: str
    env: dict[str, str]
    first_call: str = ""
    compile_tree: bool = False


def ours_variant(name: str, python: str | None = None, *, boto3: bool = False) -> ColdVariant:
    """``import durable_lambda`` + one decorated handler, from this source tree (``PYTHONPATH``).

    ``python`` defaults to this interpreter (the dev environment, where dependency-injector
    also imports PyYAML, which is present); ``boto3`` adds ``import boto3``, which ours does on
    its first call to AWS rather than at import. After the import, each process also times one
    empty invocation (``first_call_ms``; ``import_first_ms`` is the sum).
    """
    body = _COLD_OURS + ("import boto3\n" if boto3 else "")
    return ColdVariant(
        name,
        python or sys.executable,
        body,
        {"PYTHONPATH": str(ROOT)},
        first_call=_COLD_FIRST_CALL,
        compile_tree=True,
    )


def official_variant(name: str, python: str) -> ColdVariant:
    """The official SDK's import + one decorated handler, in ``python``."""
    return ColdVariant(name, python, _COLD_OFFICIAL, {})


# As on Lambda: the function's name, and credentials from the environment (fake: nothing is sent).
_LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "example",
    "AWS_SESSION_TOKEN": "example",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def ours_client_variant(name: str, python: str | None = None) -> ColdVariant:
    """Issue 18's cold start of ours: handler module, ``import boto3``, the client, one call."""
    return ColdVariant(
        name,
        python or sys.executable,
        _CLIENT_OURS,
        {"PYTHONPATH": str(ROOT), **_LAMBDA_ENV},
        first_call=_CLIENT_FIRST_CALL,
        compile_tree=True,
    )


def official_client_variant(name: str, python: str) -> ColdVariant:
    """Issue 18's cold start of the official SDK, as ``ours_client_variant``."""
    return ColdVariant(name, python, _CLIENT_OFFICIAL, _LAMBDA_ENV, first_call=_CLIENT_FIRST_CALL)


def pydantic_floor_variant(name: str, python: str) -> ColdVariant:
    """asyncio, boto3 and pydantic imported and one model defined, in ``python``: no SDK at all."""
    return ColdVariant(name, python, _COLD_PYDANTIC_FLOOR, {})


def cold_starts(variants: list[ColdVariant], repeats: int) -> dict[str, dict[str, Any]]:
    """Import each SDK and decorate a handler in fresh processes; return medians per variant.

    The variants take turns, one process each per round, so that a busy moment of the machine
    falls on all of them alike. ``import_ms`` is measured inside the process (import +
    decoration); for ours, ``first_call_ms`` is the first (empty) invocation that follows in the
    same process and ``import_first_ms`` the median of their sums. ``process_ms`` is from
    spawning the interpreter to its exit (for ours, with the first call), ``maxrss_mb`` the
    process's peak resident memory; ``peak_bytes`` (tracemalloc, Python allocations of the
    import) comes from one more process per variant, as tracing slows the import down.
    """
    for python in sorted({v.python for v in variants if v.compile_tree}):
        _compile_tree(python)
    samples: dict[str, list[tuple[float, dict[str, Any]]]] = {v.name: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            env = {**os.environ, **variant.env}
            report = _COLD_REPORT.format(first_call=variant.first_call)
            samples[variant.name].append(_python_run(variant.python, variant.body + report, env))
    results: dict[str, dict[str, Any]] = {}
    for variant in variants:
        runs = samples[variant.name]
        env = {**os.environ, **variant.env}
        _, memory = _python_run(variant.python, _COLD_MEMORY.format(body=variant.body), env)
        results[variant.name] = {
            "import_ms": statistics.median(report["import_s"] for _, report in runs) * 1e3,
            **_first_call_figures([report for _, report in runs]),
            "process_ms": statistics.median(elapsed for elapsed, _ in runs) * 1e3,
            "maxrss_mb": statistics.median(report["maxrss_kb"] for _, report in runs) / 1024,
            "peak_bytes": memory["peak_bytes"],
            # Every round's figures, in round order, for ratios paired by round.
            "rounds": [
                {key: report.get(key) for key in ("import_s", "first_checkpoint_s")}
                for _, report in runs
            ],
        }
    return results


def paired_ratio(mine: dict[str, Any], theirs: dict[str, Any], key: str) -> float | None:
    """The median over rounds of ``mine[key] / theirs[key]``, both taken in the same round."""
    pairs = [
        (a.get(key), b.get(key))
        for a, b in zip(mine.get("rounds") or [], theirs.get("rounds") or [], strict=False)
    ]
    ratios = [a / b for a, b in pairs if a is not None and b]
    return statistics.median(ratios) if ratios else None


def _compile_tree(python: str) -> None:
    """Write the source tree's bytecode for ``python``, as ``pip install`` does for a package.

    The official SDK is measured as pip installed it, with its ``.pyc`` files; ours runs from
    this source tree, whose bytecode is missing or stale after an edit, and is not rewritten
    under ``PYTHONDONTWRITEBYTECODE``: every process would then compile the package again (about
    30 ms), which no deployment does.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [python, "-m", "compileall", "-q", str(ROOT / "durable_lambda")],
        check=True,
        capture_output=True,
        env=env,
    )


def _first_call_figures(reports: list[dict[str, Any]]) -> dict[str, float]:
    firsts = [r["first_call_s"] for r in reports if r.get("first_call_s") is not None]
    if not firsts:
        return {}
    totals = [
        r["import_s"] + r["first_call_s"] for r in reports if r.get("first_call_s") is not None
    ]
    figures = {
        "first_call_ms": statistics.median(firsts) * 1e3,
        "import_first_ms": statistics.median(totals) * 1e3,
    }
    for key in ("first_checkpoint", "first_send"):
        marks = [r[f"{key}_s"] for r in reports if r.get(f"{key}_s") is not None]
        if marks:
            figures[f"{key}_ms"] = statistics.median(marks) * 1e3
    return figures


# -- the floor ------------------------------------------------------------------------------


def _floor_fn(step: None) -> int:
    return 1


async def _floor_async_fn(step: None) -> int:
    return 1


def floor_sync(n: int, repeats: int) -> dict[str, Any]:
    """The same logical work in plain Python: call, ``json.dumps`` the result, append a record."""

    def run() -> None:
        records: list[dict[str, Any]] = []
        for i in range(n):
            result = _floor_fn(None)
            records.append({"Id": str(i), "Action": "SUCCEED", "Payload": json.dumps(result)})

    timing = time_sync(lambda: run(), repeats)
    return {"seconds": timing.seconds, "us_per_unit": per(timing.seconds, n)}


async def floor_async(n: int, repeats: int) -> dict[str, Any]:
    """The floor with an awaited ``async def`` function, as an async step runs."""

    async def run() -> None:
        records: list[dict[str, Any]] = []
        for i in range(n):
            result = await _floor_async_fn(None)
            records.append({"Id": str(i), "Action": "SUCCEED", "Payload": json.dumps(result)})

    timing = await time_async(run, repeats)
    return {"seconds": timing.seconds, "us_per_unit": per(timing.seconds, n)}


# -- plain step functions: a worker thread or inline ------------------------------------------


async def thread_vs_inline(n: int, repeats: int) -> dict[str, Any]:
    """Cost per call of running a plain function in a worker thread vs inline vs ``async def``.

    ``call_user_function`` is what a step uses; ``inline`` is a direct call; ``to_thread`` is
    ``asyncio.to_thread`` alone.
    """

    def plain(step: None) -> int:
        return 1

    async def coroutine(step: None) -> int:
        return 1

    def loop_of(call: Callable[[], Any]) -> Callable[[], Any]:
        async def run() -> None:
            for _ in range(n):
                await call()

        return run

    async def inline() -> int:
        return plain(None)

    cases: dict[str, Callable[[], Any]] = {
        "plain_via_call_user_function": lambda: call_user_function(plain, None),
        "async_via_call_user_function": lambda: call_user_function(coroutine, None),
        "plain_to_thread": lambda: asyncio.to_thread(plain, None),
        "plain_inline": inline,
    }
    figures: dict[str, Any] = {}
    for name, call in cases.items():
        timing = await time_async(loop_of(call), repeats)
        figures[name] = per(timing.seconds, n)
    return figures
