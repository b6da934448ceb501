"""Every operation follows the one skeleton: identify, check the record, execute.

``core/operations/skeleton.py`` holds it: ``OperationExecutor.run`` drives the phases, ``begin``
is the first phase for the operations that write the rest out. These tests hold the skeleton's
order, and that no operation module takes an id or reads its record on a path of its own, but
for the fast lanes the skeleton names.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from typing import Any, cast

import pytest

import durable_lambda.core.operations as operations_package
from durable_lambda.core.model import Operation, OperationType
from durable_lambda.core.operations.scope import OperationScope
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor, Proceed
from durable_lambda.core.state import OperationIdentity

OPERATIONS = Path(operations_package.__file__).parent

# Who may take an id or check a record outside the skeleton, and why.
PHASE_ONE_CALLS = {"next_identity", "next_operation_id", "checked"}
ALLOWED = {
    ("skeleton.py", "next_identity"): "the skeleton itself",
    ("skeleton.py", "checked"): "the skeleton itself",
    ("step.py", "next_operation_id"): "a replayed step's fast lane (no identity, no coroutine)",
    ("child.py", "next_identity"): "a completed child context's fast lane reads its payload",
    ("child.py", "checked"): "...then checks the record the fast lane did not settle",
    ("batch_branches.py", "checked"): "branch records, at identities the batch took in order",
    ("combinators.py", "next_operation_id"): "skipping the ids a race's losers took, unrun",
}


def phase_one_calls(path: Path) -> set[str]:
    """Return which of the calls that take an id or check a record ``path`` makes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PHASE_ONE_CALLS
    }


def test_no_operation_takes_an_id_or_checks_a_record_on_its_own() -> None:
    strays = sorted(
        (path.name, call)
        for path in OPERATIONS.glob("*.py")
        for call in phase_one_calls(path)
        if (path.name, call) not in ALLOWED
    )
    assert not strays, (
        f"operations that open-code the skeleton's first phases (use OperationExecutor or "
        f"begin from core/operations/skeleton.py): {strays}"
    )
    unused = sorted(key for key in ALLOWED if key[1] not in phase_one_calls(OPERATIONS / key[0]))
    assert not unused, f"exceptions no module needs any more (remove them): {unused}"


def executors() -> list[OperationExecutor[Any, Any]]:
    found = []
    for module_info in pkgutil.iter_modules([str(OPERATIONS)]):
        module = importlib.import_module(f"{operations_package.__name__}.{module_info.name}")
        found += [value for value in vars(module).values() if isinstance(value, OperationExecutor)]
    return found


def test_every_executor_names_its_operation_type() -> None:
    found = executors()
    assert {type(executor).__name__ for executor in found} >= {
        "StepExecutor",
        "WaitExecutor",
        "InvokeExecutor",
        "CallbackExecutor",
        "ConditionExecutor",
    }
    for executor in found:
        assert isinstance(type(executor).operation_type, OperationType)


def test_an_executor_without_both_phases_cannot_be_made() -> None:
    class CheckOnly(OperationExecutor[None, None]):
        operation_type = OperationType.STEP

        def check_result(
            self,
            scope: OperationScope,
            identity: OperationIdentity,
            record: Operation | None,
            request: None,
        ) -> Proceed | None:
            return PROCEED

    with pytest.raises(TypeError, match="execute"):
        CheckOnly()  # type: ignore[abstract]


class _State:
    def __init__(self, calls: list[str], record: Operation | None) -> None:
        self.calls = calls
        self.record = record

    def checked(self, identity: OperationIdentity) -> Operation | None:
        self.calls.append(f"checked {identity.operation_id}")
        return self.record


class _Runtime:
    def __init__(self, calls: list[str], record: Operation | None) -> None:
        self.calls = calls
        self.state = _State(calls, record)

    def note_new_work(self) -> None:
        self.calls.append("note_new_work")


class _Scope:
    """The parts of ``OperationScope`` the skeleton uses, recording each call."""

    parent_id = None

    def __init__(self, record: Operation | None) -> None:
        self.calls: list[str] = []
        self.runtime = _Runtime(self.calls, record)

    def next_identity(
        self, type: OperationType, sub_type: str | None, name: str | None
    ) -> OperationIdentity:
        self.calls.append(f"next_identity {name}")
        return OperationIdentity("op-1", type, sub_type, name, None)


class _Recording(OperationExecutor[str, str]):
    operation_type = OperationType.STEP

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: str,
    ) -> str | Proceed:
        cast(_Scope, scope).calls.append("check_result")
        return PROCEED if record is None else "replayed"

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: str,
    ) -> str:
        cast(_Scope, scope).calls.append(f"execute {request}")
        return "executed"


async def test_run_identifies_checks_then_executes_new_work() -> None:
    scope = _Scope(record=None)
    result = await _Recording().run(cast(OperationScope, scope), "Step", "charge", "the request")
    assert result == "executed"
    assert scope.calls == [
        "next_identity charge",
        "checked op-1",
        "check_result",
        "note_new_work",
        "execute the request",
    ]


async def test_run_replays_a_settling_record_without_executing() -> None:
    record = Operation.model_validate(
        {"Id": "op-1", "Type": "STEP", "Status": "SUCCEEDED", "StartTimestamp": 0}
    )
    scope = _Scope(record=record)
    result = await _Recording().run(cast(OperationScope, scope), "Step", "charge", "the request")
    assert result == "replayed"
    assert scope.calls == ["next_identity charge", "checked op-1", "check_result"]
