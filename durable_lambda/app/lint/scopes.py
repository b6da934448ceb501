"""Which functions are orchestration code and which are step bodies.

Orchestration code runs again on every replay: a durable handler (``@durable_execution``), a
child-context function (``@durable_with_child_context``, ``@durable_parallel_branch``, the
function given to ``ctx.run_in_child_context``, ``ctx.map`` or ``ctx.parallel``, or wrapped in a
``ParallelBranch``), any function taking a ``DurableContext``, and a function called with one.

Step bodies run once and are recorded: the function given to ``ctx.step``, a
``wait_for_condition`` check, a ``wait_for_callback`` submitter, a function decorated with
``@durable_step`` or ``@durable_wait_for_callback``, a saga's steps and undos (the function and
the ``compensate=`` given to ``saga.step``, the undo given to ``saga.add_compensation``, where
``saga`` was bound by ``async with ctx.saga(...) as saga`` or ``saga = ctx.saga(...)``), and any
function taking a ``StepContext`` (or ``WaitForCallbackContext``, ``WaitForConditionCheckContext``).
They may do anything.

Both this SDK's and the official SDK's spellings are understood (``fn=``/``func=``,
``items``/``inputs``, ``branches=``/``functions=``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable

from durable_lambda.app.lint.index import (
    Function,
    FunctionNode,
    ModuleIndex,
    Role,
    own_nodes,
    positional_params,
)
from durable_lambda.app.lint.names import ImportTable

__all__ = ["SDK_PACKAGES", "classify", "contexts_of", "sdk_name"]

SDK_PACKAGES = frozenset({"durable_lambda", "aws_durable_execution_sdk_python"})
# Decorator -> the position of the context among the positional parameters.
_ORCHESTRATION_DECORATORS = {
    "durable_execution": 1,
    "durable_with_child_context": 0,
    "durable_parallel_branch": 0,
}
_STEP_DECORATORS = frozenset({"durable_step", "durable_wait_for_callback"})
_ALL_DECORATORS = _STEP_DECORATORS | _ORCHESTRATION_DECORATORS.keys()
_CONTEXT_TYPE = re.compile(r"\bDurableContext\b")
_STEP_TYPE = re.compile(r"\b(StepContext|WaitForCallbackContext|WaitForConditionCheckContext)\b")
# Context method -> (position of the function argument, the keywords that can carry it).
_STEP_BODY_ARGS = {
    "step": (0, ("fn", "func")),
    "wait_for_callback": (0, ("submitter",)),
    "wait_for_condition": (0, ("check",)),
}
# A saga's methods (``async with ctx.saga(...) as saga``) -> (position, keywords) of each
# argument that is a step body: the forward step, its undo, an undo registered on its own.
_SAGA_BODY_ARGS: dict[str, tuple[tuple[int | None, tuple[str, ...]], ...]] = {
    "step": ((0, ("fn", "func")), (None, ("compensate",))),
    "add_compensation": ((0, ("undo",)),),
}
_CHILD_ARGS = {
    "run_in_child_context": (0, ("fn", "func")),
    "map": (1, ("fn", "func")),
    "parallel": (0, ("branches", "functions")),
}
_MAX_REFERENCE_DEPTH = 6


def classify(index: ModuleIndex, imports: ImportTable) -> None:
    """Give every function of ``index`` that has one its role, its reason and its contexts."""
    _Classifier(index, imports).run()


def contexts_of(function: Function) -> set[str]:
    """Return the names holding a durable context in ``function`` or the ones it is in."""
    return {name for scope in function.chain() for name in scope.contexts}


def sdk_name(qualified: str | None, names: Collection[str]) -> str | None:
    """Return the last part of ``qualified`` if it is one of ``names`` from an SDK package."""
    if qualified is None or qualified.split(".")[0] not in SDK_PACKAGES:
        return None
    last = qualified.rsplit(".", 1)[-1]
    return last if last in names else None


class _Classifier:
    def __init__(self, index: ModuleIndex, imports: ImportTable) -> None:
        self.index = index
        self.imports = imports
        self.queue: list[Function] = []

    def run(self) -> None:
        for function in list(self.index.functions.values()):
            self._seed(function)
        scopes: list[tuple[Function | None, list[ast.AST]]] = [(None, list(self.index.tree.body))]
        scopes += [(function, function.body) for function in self.index.functions.values()]
        for scope, body in scopes:
            for node in own_nodes(body):
                if isinstance(node, ast.Call):
                    self._seed_branch(node, scope)
        while self.queue:
            self._follow(self.queue.pop())

    def qualify(self, expr: ast.expr, scope: Function | None) -> str | None:
        return self.imports.qualify(expr, scope.binds if scope else lambda name: False)

    def mark(self, function: Function, role: Role, reason: str, context: int | str | None) -> None:
        """Record what ``function`` is; a step body stays one, whatever else it is passed to."""
        if function.role is Role.STEP:
            return
        if role is Role.STEP:
            function.role, function.reason = role, reason
            return
        first = function.role is None
        if first:
            function.role, function.reason = role, reason
        params = positional_params(function)
        name = params[context] if isinstance(context, int) and context < len(params) else context
        grew = isinstance(name, str) and name not in function.contexts
        if isinstance(name, str):
            function.contexts.add(name)
        if first or grew:
            self.queue.append(function)

    def _seed(self, function: Function) -> None:
        node = function.node
        annotated = _annotated(node)
        if any(_STEP_TYPE.search(text) for text in annotated.values()):
            self.mark(function, Role.STEP, "it takes a step context", None)
            return
        for decorator in [] if isinstance(node, ast.Lambda) else node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualified = self.qualify(target, function.parent)
            function.decorated |= bool(sdk_name(qualified, _ALL_DECORATORS))
            if sdk_name(qualified, _STEP_DECORATORS):
                self.mark(function, Role.STEP, f"decorated with @{ast.unparse(target)}", None)
                return
            found = sdk_name(qualified, _ORCHESTRATION_DECORATORS)
            if found:
                reason = f"decorated with @{ast.unparse(target)}"
                self.mark(function, Role.ORCHESTRATION, reason, _ORCHESTRATION_DECORATORS[found])
        for name, text in annotated.items():
            if _CONTEXT_TYPE.search(text):
                self.mark(function, Role.ORCHESTRATION, "it takes a DurableContext", name)

    def _seed_branch(self, call: ast.Call, scope: Function | None) -> None:
        if sdk_name(self.qualify(call.func, scope), {"ParallelBranch"}):
            for target in self._refs(_argument(call, 0, ("fn", "func")), scope, 0):
                self.mark(target, Role.ORCHESTRATION, "it is a ParallelBranch's function", 0)

    def _follow(self, function: Function) -> None:
        """Classify what the orchestration code of ``function`` hands its contexts."""
        if function.role is not Role.ORCHESTRATION:
            return
        contexts = contexts_of(function)
        entered = lambda node: self.index.of(node).role is None  # noqa: E731
        sagas = _saga_names(own_nodes(function.body, entered), contexts)
        for node in own_nodes(function.body, entered):
            if not isinstance(node, ast.Call):
                continue
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and receiver.id in contexts:
                self._operation(node, function)
            elif isinstance(receiver, ast.Name) and receiver.id in sagas:
                self._saga_operation(node, function)
            else:
                self._passes_context(node, function, contexts)

    def _saga_operation(self, call: ast.Call, scope: Function) -> None:
        """Mark the step bodies given to a saga's ``step`` or ``add_compensation``."""
        assert isinstance(call.func, ast.Attribute)
        where = f"saga.{call.func.attr} at line {call.lineno}"
        for position, keywords in _SAGA_BODY_ARGS.get(call.func.attr, ()):
            arguments = (
                _arguments(call, position, keywords)
                if position is not None
                else [k.value for k in call.keywords if k.arg in keywords]
            )
            for argument in arguments:
                for target in self._refs(argument, scope, 0):
                    self.mark(target, Role.STEP, f"it is given to {where}", None)

    def _operation(self, call: ast.Call, scope: Function) -> None:
        assert isinstance(call.func, ast.Attribute)
        method = call.func.attr
        where = f"ctx.{method} at line {call.lineno}"
        if method in _STEP_BODY_ARGS:
            position, keywords = _STEP_BODY_ARGS[method]
            for argument in _arguments(call, position, keywords):
                for target in self._refs(argument, scope, 0):
                    self.mark(target, Role.STEP, f"it is given to {where}", None)
        elif method in _CHILD_ARGS:
            position, keywords = _CHILD_ARGS[method]
            for argument in _arguments(call, position, keywords):
                for target in self._refs(argument, scope, 0):
                    self.mark(target, Role.ORCHESTRATION, f"it is given to {where}", 0)

    def _passes_context(self, call: ast.Call, scope: Function, contexts: set[str]) -> None:
        """Mark a function called with a durable context: it runs operations, so orchestration."""
        passed: list[int | str] = [
            position
            for position, argument in enumerate(call.args)
            if isinstance(argument, ast.Name) and argument.id in contexts
        ]
        passed += [
            keyword.arg
            for keyword in call.keywords
            if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in contexts
        ]
        if not passed or not isinstance(call.func, ast.Name):
            return
        for target in self._refs(call.func, scope, 0):
            for context in passed:
                reason = f"it is called with a durable context at line {call.lineno}"
                self.mark(target, Role.ORCHESTRATION, reason, context)

    def _refs(self, expr: ast.expr | None, scope: Function | None, depth: int) -> list[Function]:
        """Return the functions ``expr`` stands for: a lambda, a def by name, a partial of one..."""
        if expr is None or depth > _MAX_REFERENCE_DEPTH:
            return []
        if isinstance(expr, ast.Lambda):
            return [self.index.of(expr)]
        if isinstance(expr, ast.Name):
            defs, value = self.index.lookup(expr.id, scope)
            return defs or self._refs(value, scope, depth + 1)
        if isinstance(expr, ast.List | ast.Tuple):
            elements = [e.value if isinstance(e, ast.Starred) else e for e in expr.elts]
            return [t for element in elements for t in self._refs(element, scope, depth + 1)]
        if isinstance(expr, ast.ListComp | ast.GeneratorExp):
            return self._refs(expr.elt, scope, depth + 1)
        if isinstance(expr, ast.Call):
            return self._call_refs(expr, scope, depth)
        return []

    def _call_refs(self, call: ast.Call, scope: Function | None, depth: int) -> list[Function]:
        qualified = self.qualify(call.func, scope)
        if qualified == "functools.partial" or sdk_name(qualified, {"ParallelBranch"}):
            return self._refs(_argument(call, 0, ("fn", "func")), scope, depth + 1)
        # ``ctx.step(create_order(order_id))`` with an official ``@durable_step`` function.
        callees = self._refs(call.func, scope, depth + 1) if isinstance(call.func, ast.Name) else []
        return [callee for callee in callees if callee.decorated]


def _annotated(node: FunctionNode) -> dict[str, str]:
    if isinstance(node, ast.Lambda):
        return {}
    arguments = node.args
    params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return {arg.arg: ast.unparse(arg.annotation) for arg in params if arg.annotation is not None}


def _argument(call: ast.Call, position: int, keywords: tuple[str, ...]) -> ast.expr | None:
    found = _arguments(call, position, keywords)
    return found[0] if found else None


def _saga_names(nodes: Iterable[ast.AST], contexts: Collection[str]) -> set[str]:
    """Return the names bound to ``ctx.saga(...)`` (``async with ... as saga``, or assigned)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.withitem):
            value, target = node.context_expr, node.optional_vars
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            value, target = node.value, node.targets[0]
        else:
            continue
        func = value.func if isinstance(value, ast.Call) else None
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "saga"
            and isinstance(func.value, ast.Name)
            and func.value.id in contexts
            and isinstance(target, ast.Name)
        ):
            names.add(target.id)
    return names


def _arguments(call: ast.Call, position: int, keywords: tuple[str, ...]) -> list[ast.expr]:
    positional = call.args[position : position + 1]
    named = [keyword.value for keyword in call.keywords if keyword.arg in keywords]
    return [argument for argument in (*positional, *named) if not isinstance(argument, ast.Starred)]
