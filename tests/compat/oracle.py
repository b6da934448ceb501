"""The oracle: one handler source, run on the official SDK and on ours, and what to compare.

A corpus module (``corpus/*.py``) is a handler written for the official SDK 3.0.0, importing only
``aws_durable_execution_sdk_python`` and the standard library, with the scenarios to run it on.
``official_outcomes`` runs every scenario on the official SDK and its testing library, in the
official SDK's own virtual environment (``official_runner.py``). ``our_outcome`` runs the same
source on durable-lambda through ``DurableTestRunner``, after switching its import lines, and
only them, to ``durable_lambda.compat.aws``. ``comparable`` reduces an outcome to what must be
equal: status, result, error type and message, and every operation's id, parent, type, subtype,
name, status, attempt, result and error.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

from durable_lambda.testing import DurableTestRunner, TestExecution

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
RUNNER = HERE / "official_runner.py"
OFFICIAL = "aws_durable_execution_sdk_python"
OURS = "durable_lambda.compat.aws"

_IMPORT_LINE = re.compile(rf"^(\s*)(from|import)\s+{OFFICIAL}\b")


def corpus_paths() -> list[Path]:
    """Every corpus module, in name order."""
    return sorted(path for path in CORPUS.glob("*.py") if not path.name.startswith("_"))


def switch_imports(source: str) -> str:
    """Return ``source`` with its import lines of the official SDK pointing at ours instead.

    Only lines that start an import statement change; every other line stays as written.
    """
    lines = source.splitlines(keepends=True)
    return "".join(
        line.replace(OFFICIAL, OURS, 1) if _IMPORT_LINE.match(line) else line for line in lines
    )


def load_ours(path: Path) -> types.ModuleType:
    """Import the corpus module at ``path`` with its imports switched to durable-lambda."""
    name = f"corpus_{path.stem}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    code = compile(switch_imports(path.read_text()), str(path), "exec")
    exec(code, module.__dict__)
    return module


def official_outcomes(python: Path, paths: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """Run every scenario of ``paths`` on the official SDK with ``python``; key by module, name.

    Raises:
        RuntimeError: the runner itself failed.
    """
    completed = subprocess.run(
        [str(python), str(RUNNER), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=HERE,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"official_runner.py failed:\n{completed.stderr[-4000:]}")
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    for line in completed.stdout.splitlines():
        if line.startswith("{"):
            outcome = json.loads(line)
            outcomes[outcome["module"], outcome["scenario"]] = outcome
    return outcomes


async def _answer(run: TestExecution, answer: dict[str, Any]) -> None:
    callback_id = await run.wait_for_callback(answer["callback"])
    if "succeed" in answer:
        # Sent as the sender's raw text, as the official runner sends it.
        await run.service.send_callback_success(callback_id, answer["succeed"])
    elif "fail" in answer:
        from durable_lambda.core.model import ErrorObject

        await run.service.send_callback_failure(callback_id, ErrorObject(**answer["fail"]))
    else:
        return
    run.pending_work = True


def _of_payload(target: Any) -> Any:
    def call(payload: Any) -> Any:
        return target(payload, None)

    return call


async def our_outcome(
    module: types.ModuleType, scenario: dict[str, Any], *, always_replay: bool = False
) -> dict[str, Any]:
    """Run one scenario of ``module`` (loaded by ``load_ours``) on durable-lambda.

    With ``always_replay`` every invocation ends after each newly completed operation, so the
    handler is replayed from the top again and again.
    """
    # The official runner calls a plain target as Lambda would, (payload, lambda_context); ours
    # calls a function of the payload alone. The test runners' APIs differ; the handler does not.
    plain = {name: _of_payload(target) for name, target in getattr(module, "FUNCTIONS", {}).items()}
    functions = {**plain, **getattr(module, "DURABLE_FUNCTIONS", {})}
    runner = DurableTestRunner(module.handler, functions=functions, always_replay=always_replay)
    run = await runner.start(scenario.get("event"))
    for answer in scenario.get("answers", []):
        await _answer(run, answer)
    result = await run.result()
    record = await run.service.get_record(run.arn)
    return {
        "status": result.status,
        "result": record.result,
        "error": None if result.error is None else result.error.model_dump(exclude_none=True),
        "operations": [
            op.model_dump(mode="json", exclude_none=True) for op in await run.operations_async()
        ],
    }


def _short_type(error_type: str | None) -> str | None:
    """The class name of a recorded error type (the official SDK qualifies it by module)."""
    return None if error_type is None else error_type.rsplit(".", 1)[-1]


# Errors the SDKs word themselves (a refused argument, an unreadable payload): their type must
# match, their message is each SDK's own.
SDK_WORDED = frozenset({"ValidationError", "SerDesError", "ExecutionError", "InvocationError"})


def _error(error: dict[str, Any] | None) -> tuple[str | None, str | None] | None:
    if not error:
        return None
    kind = _short_type(error.get("ErrorType"))
    return kind, None if kind in SDK_WORDED else error.get("ErrorMessage")


def _normalized(value: Any) -> Any:
    """``value`` as both SDKs must agree on it, wherever an error object sits in it.

    durable-lambda records a ``StackTrace`` where the official SDK records none, and error types
    by class name where the official SDK qualifies them by module (see ``_short_type``).
    """
    if isinstance(value, dict):
        kept = {k: _normalized(v) for k, v in value.items() if k != "StackTrace"}
        kind = kept.get("ErrorType")
        if isinstance(kind, str):
            kept["ErrorType"] = _short_type(kind)
        elif isinstance(kind, dict) and isinstance(kind.get("v"), str):  # inside an envelope
            kept["ErrorType"] = {**kind, "v": _short_type(kind["v"])}
        return kept
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def _payload(text: str | None) -> Any:
    # durable-lambda's local service keeps an empty callback answer as an empty Result where
    # the official testing service keeps none; both SDKs read either as None.
    if not text:
        return None
    try:
        return _normalized(json.loads(text))
    except ValueError:
        return ("text", text)


_DETAILS = ("StepDetails", "ContextDetails", "CallbackDetails", "ChainedInvokeDetails")


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = next((op[key] for key in _DETAILS if op.get(key)), {})
    view = {
        "Id": op["Id"],
        "ParentId": op.get("ParentId"),
        "Type": op["Type"],
        "SubType": op.get("SubType"),
        "Name": op.get("Name"),
        "Status": op["Status"],
        "Result": _payload(details.get("Result")),
        "Error": _error(details.get("Error")),
    }
    if op["Type"] == "STEP":
        view["Attempt"] = details.get("Attempt")
    return view


def comparable(
    outcome: dict[str, Any],
    *,
    ignore: frozenset[str] = frozenset(),
    own_words: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Reduce an outcome to what both SDKs must agree on.

    Args:
        outcome: What ``official_outcomes`` or ``our_outcome`` returned.
        ignore: Operation names whose status and result depend on timing (which branch finished
            first); their identity (id, parent, type, subtype, name) is still compared.
        own_words: Operation names whose error message is the SDK's own wording (a wait
            strategy that ran out of attempts); its type is still compared.
    """
    if "crash" in outcome:
        return {"crash": outcome["crash"]}
    operations = sorted(
        (_operation(op) for op in outcome["operations"] if op["Type"] != "EXECUTION"),
        key=lambda view: view["Id"],
    )
    for view in operations:
        if view["Name"] in own_words and view["Error"]:
            view["Error"] = (view["Error"][0], None)
        if view["Name"] in ignore:
            for key in ("Status", "Result", "Error", "Attempt"):
                view.pop(key, None)
    return {
        "status": outcome["status"],
        "result": _payload(outcome["result"]) if outcome["status"] == "SUCCEEDED" else None,
        "error": _error(outcome["error"]),
        "operations": operations,
    }


def official_python_for_tests() -> Path:
    """The python of a virtual environment holding exactly the official SDK 3.0.0 and 1.4.0.

    The environment the benchmarks use (created once under ``.cache``, reused while it holds
    the pinned versions).
    """
    spec = importlib.util.find_spec("benchmarks.official")
    if spec is None:
        raise RuntimeError("the benchmarks package is not importable from the tests")
    from benchmarks.official import ensure_official_python

    return ensure_official_python()
