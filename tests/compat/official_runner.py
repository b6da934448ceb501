"""Run corpus handlers on the official SDK 3.0.0 and its testing library; print what happened.

Run by the oracle tests with the python of the official SDK's own virtual environment (which
has neither durable-lambda nor pytest): ``python official_runner.py corpus/steps.py ...``. For
every scenario of every corpus module it starts an execution on ``DurableFunctionTestRunner``,
answers its callbacks as the scenario says, and prints one JSON line per scenario: the status,
result and error of the execution, and every operation as the service stores it (wire form).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner


def _load(path: Path) -> Any:
    name = f"corpus_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _answer(runner: DurableFunctionTestRunner, arn: str, answer: dict[str, Any]) -> None:
    callback_id = runner.wait_for_callback(arn, name=answer["callback"], timeout=60)
    if "succeed" in answer:
        runner.send_callback_success(callback_id, answer["succeed"].encode())
    elif "fail" in answer:
        error = answer["fail"]
        runner.send_callback_failure(
            callback_id,
            ErrorObject(
                message=error.get("ErrorMessage"),
                type=error.get("ErrorType"),
                data=error.get("ErrorData"),
                stack_trace=None,
            ),
        )
    # {"callback": name, "ignore": true}: leave it unanswered (it times out)


def _run(module: Any, scenario: dict[str, Any]) -> dict[str, Any]:
    runner = DurableFunctionTestRunner(handler=module.handler, poll_interval=0.02)
    with runner:
        for name, target in getattr(module, "DURABLE_FUNCTIONS", {}).items():
            runner.register_durable_function(name, target)
        for name, target in getattr(module, "FUNCTIONS", {}).items():
            runner.register_function(name, target)
        arn = runner.run_async(input=json.dumps(scenario.get("event")), execution_timeout=120)
        for answer in scenario.get("answers", []):
            _answer(runner, arn, answer)
        result = runner.wait_for_result(arn, timeout=120)
        execution = runner._store.load(arn)  # every operation, flat
        error = result.error
        return {
            "status": result.status.value,
            "result": result.result,
            "error": None if error is None else error.to_dict(),
            "operations": [op.to_dict() for op in execution.operations],
        }


def main() -> int:
    for argument in sys.argv[1:]:
        path = Path(argument)
        module = _load(path)
        for scenario_name, scenario in module.SCENARIOS.items():
            try:
                outcome = _run(module, scenario)
            except Exception as error:  # reported, and the oracle test fails on it
                outcome = {"crash": "".join(traceback.format_exception(error))}
            line = {"module": path.stem, "scenario": scenario_name, **outcome}
            print(json.dumps(line, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
