"""Cold start: what the Lambda path imports, and the public names that load on first access.

``import durable_lambda`` loads nothing else of the package; the entry point, a decorated handler
and its first invocation load only what a Lambda function needs, and build only the validators
it uses: the first invocation of a new execution reads its one operation without building the
validator of long state pages, and the configuration models of operations it does not call are
not built at all. On Lambda, what the imports left alive is frozen out of the garbage
collector's walks. The checks run in fresh interpreters, since this test process has imported
everything already.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import durable_lambda

ROOT = Path(__file__).resolve().parents[3]

# Modules a Lambda function must not load for an invocation that does not use them: the SDK's
# local runtime and tooling, boto3 (built on the first call to AWS), structlog (on the first
# event logged), and the operations a handler loads by calling them, map and parallel's
# configuration among them.
NOT_ON_THE_LAMBDA_PATH = (
    "boto3",
    "botocore",
    "structlog",
    "durable_lambda.core.batch_config",
    "durable_lambda.core.operations.child",
    "durable_lambda.core.operations.wait",
    "durable_lambda.testing",
    "durable_lambda.contract",
    "durable_lambda.adapters.local",
    "durable_lambda.adapters.memory",
    "durable_lambda.adapters.file",
    "durable_lambda.adapters.otel",
    "durable_lambda.app.cli",
    "durable_lambda.app.orchestrator",
    "durable_lambda.app.driver",
    "durable_lambda.app.testing_runner",
    "durable_lambda.app.history_render",
    "durable_lambda.app.history_html",
    "durable_lambda.service",
    "durable_lambda.core.operations.batch",
    "durable_lambda.core.operations.callback",
    "durable_lambda.core.operations.combinators",
    "durable_lambda.core.operations.condition",
    "durable_lambda.core.operations.invoke",
)

_LAMBDA_PATH = """
import gc, json, sys
# Python 3.12 starts with objects of its own frozen already: count only what came after.
frozen_at_start = gc.get_freeze_count()
import durable_lambda
after_import = sorted(m for m in sys.modules if m.startswith("durable_lambda"))
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info["generation"]))
from durable_lambda import durable_execution
passes_during_import = len(passes)

class StandInClient:
    def checkpoint_durable_execution(self, **request):
        return {"CheckpointToken": "t1", "NewExecutionState": {}}

    def get_durable_execution_state(self, **request):
        raise AssertionError("single page")

@durable_execution(client=StandInClient())
async def handler(event, ctx):
    await ctx.step(lambda step: 1, name="one")
    return event

decorated = sorted(sys.modules)
built_when_decorated = handler._lambda_container is not None
collector_on_after_import = gc.isenabled()
output = handler({
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e",
    "CheckpointToken": "t0",
    "InitialExecutionState": {"Operations": [{
        "Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1767225600000,
        "ExecutionDetails": {"InputPayload": "{}"},
    }]},
}, None)
invoked = sorted(sys.modules)
import gc
from durable_lambda.core.batch_config import MapConfig
from durable_lambda.core.config import CallbackConfig
from durable_lambda.core.operation_fields import operation_fields_validator
print(json.dumps({
    "after_import": after_import, "decorated": decorated, "invoked": invoked,
    "status": output["Status"],
    "frozen": gc.get_freeze_count() - frozen_at_start,
    "built_when_decorated": built_when_decorated,
    "collector_on_after_import": collector_on_after_import,
    "passes_during_import": passes_during_import,
    "built": {
        "operation_fields_validator": operation_fields_validator.cache_info().currsize > 0,
        "MapConfig": MapConfig.__pydantic_complete__,
        "CallbackConfig": CallbackConfig.__pydantic_complete__,
    },
}))
"""


def _loaded(modules: list[str], banned: str) -> bool:
    return any(name == banned or name.startswith(banned + ".") for name in modules)


def _fresh_python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter that sees only this checkout; return what it printed."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "", **env},
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def lambda_path() -> dict[str, Any]:
    report: dict[str, Any] = json.loads(_fresh_python(_LAMBDA_PATH).splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def on_lambda() -> dict[str, Any]:
    code = _fresh_python(_LAMBDA_PATH, AWS_LAMBDA_FUNCTION_NAME="orders")
    report: dict[str, Any] = json.loads(code.splitlines()[-1])
    return report


def test_on_lambda_what_the_imports_left_alive_is_frozen(
    on_lambda: dict[str, Any], lambda_path: dict[str, Any]
) -> None:
    assert on_lambda["status"] == "SUCCEEDED"
    assert on_lambda["frozen"] > 10_000  # the SDK's imports, then the function's
    assert lambda_path["frozen"] == 0  # elsewhere (tests, local runs) the collector is left be


def test_on_lambda_the_environment_is_built_when_the_function_is_decorated(
    on_lambda: dict[str, Any], lambda_path: dict[str, Any]
) -> None:
    # Lambda's initialisation phase builds the container, the service and the logger, not the
    # first invocation before its first checkpoint; elsewhere nothing is built until used.
    assert on_lambda["built_when_decorated"] is True
    assert lambda_path["built_when_decorated"] is False


def test_on_lambda_the_collector_is_off_while_the_sdk_is_imported(
    on_lambda: dict[str, Any], lambda_path: dict[str, Any]
) -> None:
    # The import makes tens of thousands of long-lived objects and next to no garbage: no
    # collector pass walks them on Lambda, and the collector is on again afterwards.
    assert on_lambda["passes_during_import"] == 0
    assert on_lambda["collector_on_after_import"] is True
    assert lambda_path["passes_during_import"] > 0  # elsewhere the collector is left be
    assert lambda_path["collector_on_after_import"] is True


def test_the_freeze_can_be_turned_off() -> None:
    code = _fresh_python(
        _LAMBDA_PATH, AWS_LAMBDA_FUNCTION_NAME="orders", DURABLE_LAMBDA_GC_FREEZE="0"
    )
    report = json.loads(code.splitlines()[-1])
    assert report["frozen"] == 0
    assert report["passes_during_import"] > 0


def test_a_collector_the_application_turned_off_stays_off() -> None:
    code = (
        "import gc; gc.disable()\n"
        "from durable_lambda import durable_execution\n"
        "print(gc.isenabled())\n"
    )
    assert _fresh_python(code, AWS_LAMBDA_FUNCTION_NAME="orders") == "False"


def test_the_first_invocation_builds_only_the_validators_it_uses(
    lambda_path: dict[str, Any],
) -> None:
    assert lambda_path["built"] == {
        "operation_fields_validator": False,  # one operation: read as a model
        "MapConfig": False,
        "CallbackConfig": False,
    }


def test_importing_the_package_loads_none_of_its_modules(
    lambda_path: dict[str, Any],
) -> None:
    assert lambda_path["after_import"] == ["durable_lambda"]


@pytest.mark.parametrize("stage", ["decorated", "invoked"])
@pytest.mark.parametrize("banned", NOT_ON_THE_LAMBDA_PATH)
def test_the_lambda_path_leaves_out_what_it_does_not_use(
    lambda_path: dict[str, Any], stage: str, banned: str
) -> None:
    assert lambda_path["status"] == "SUCCEEDED"
    modules = lambda_path[stage]
    assert isinstance(modules, list)
    assert not _loaded(modules, banned), f"{banned} is imported once {stage}"


def test_the_lambda_path_loads_the_entry_point_and_the_step(
    lambda_path: dict[str, Any],
) -> None:
    # The guard above is only meaningful if the stage really ran the Lambda path.
    invoked = lambda_path["invoked"]
    assert isinstance(invoked, list)
    for needed in (
        "durable_lambda.app.lambda_handler",
        "durable_lambda.adapters.aws.lambda_service",
        "durable_lambda.core.operations.step",
    ):
        assert needed in invoked


@pytest.mark.parametrize("name", durable_lambda.__all__)
def test_every_public_name_imports_from_the_package(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from durable_lambda import {name}", namespace)
    module = importlib.import_module(durable_lambda._MODULE_OF[name])
    assert namespace[name] is getattr(module, name)
    assert getattr(durable_lambda, name) is getattr(module, name)


def test_the_lazy_table_lists_exactly_the_public_names() -> None:
    listed = [name for names in durable_lambda._EXPORTS.values() for name in names]
    assert sorted(listed) == sorted(durable_lambda.__all__)
    assert len(set(listed)) == len(listed)


def test_public_names_are_listed_by_dir() -> None:
    assert set(durable_lambda.__all__) <= set(dir(durable_lambda))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = durable_lambda.NoSuchThing
    with pytest.raises(ImportError):
        exec("from durable_lambda import NoSuchThing", {})


def test_every_public_name_loads_in_a_fresh_interpreter() -> None:
    code = (
        "import durable_lambda\n"
        "for name in durable_lambda.__all__:\n"
        "    exec(f'from durable_lambda import {name}', {})\n"
        "print('ok')\n"
    )
    assert _fresh_python(code) == "ok"
