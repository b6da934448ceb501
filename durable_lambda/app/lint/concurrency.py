"""DUR008-DUR011: asyncio constructs that lose the suspension signal or depend on timing.

A durable call that cannot finish in this invocation (a wait not yet due, an unanswered
callback) suspends it by raising a ``BaseException`` (``SuspendExecution`` in both SDKs). Code
that catches every ``BaseException``, or collects it as a result, runs on past a point the
execution should have stopped at. Code that decides by which call finished first gets another
answer on replay, where every completed call finishes at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from durable_lambda.app.lint.facts import Scope
from durable_lambda.app.lint.finding import Hit
from durable_lambda.app.lint.index import own_nodes
from durable_lambda.app.lint.rules import rule_named

__all__ = ["check_broad_except", "check_concurrency_call", "check_with_block"]

_GATHER = rule_named("gather-return-exceptions")
_ORDER = rule_named("completion-order")
_TASK_GROUP = rule_named("task-group")
_BROAD = rule_named("broad-except")
_EARLY_RETURNS = frozenset({"FIRST_COMPLETED", "FIRST_EXCEPTION"})
_TASK_GROUPS = frozenset(
    {"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup", "anyio.create_task_group"}
)
_TIMEOUTS = frozenset({"asyncio.timeout", "asyncio.timeout_at", "asyncio.timeouts.timeout"})
_EVERYTHING = frozenset({"builtins.BaseException", "builtins.BaseExceptionGroup"})


def check_concurrency_call(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report ``gather(return_exceptions=True)``, and ``wait``/``wait_for``/``as_completed``.

    They are reported wherever they are in orchestration code, since everything awaited there
    is durable work (anything else belongs in a step).
    """
    if not isinstance(node, ast.Call):
        return
    qualified = scope.qualify(node.func)
    keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
    if qualified == "asyncio.gather" and not _is_constant(keywords.get("return_exceptions"), False):
        message = (
            "asyncio.gather(..., return_exceptions=True) returns the suspension signal as a "
            "result instead of suspending"
        )
        yield Hit(node, _GATHER, message)
    elif qualified == "asyncio.wait":
        if _names(keywords.get("return_when"), scope) & _EARLY_RETURNS:
            message = "asyncio.wait(return_when=...) picks by timing; on replay all finish at once"
            yield Hit(node, _ORDER, message)
        elif not _is_constant(keywords.get("timeout"), None):
            message = "asyncio.wait(timeout=...) splits done from pending by the clock"
            yield Hit(node, _ORDER, message)
    elif qualified == "asyncio.as_completed":
        message = "asyncio.as_completed() orders by timing; on replay all finish at once"
        yield Hit(node, _ORDER, message)
    elif qualified == "asyncio.wait_for":
        timeout = node.args[1] if len(node.args) > 1 else keywords.get("timeout")
        if not _is_constant(timeout, None):
            message = "asyncio.wait_for(..., timeout) decides by the clock whether the call ends"
            yield Hit(node, _ORDER, message)


def check_with_block(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report a task group or a timeout block whose body makes durable calls."""
    if not isinstance(node, ast.With | ast.AsyncWith):
        return
    for item in node.items:
        opened = item.context_expr
        if not isinstance(opened, ast.Call):
            continue
        qualified = scope.qualify(opened.func)
        if qualified not in _TASK_GROUPS | _TIMEOUTS or not scope.holds_durable_call(node.body):
            continue
        shown = f"{ast.unparse(opened.func)}()"
        if qualified in _TIMEOUTS:
            message = f"{shown} around durable calls decides by the clock whether they end"
            yield Hit(opened, _ORDER, message)
        else:
            message = f"{shown} around durable calls cancels every sibling when one suspends"
            yield Hit(opened, _TASK_GROUP, message)


def check_broad_except(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report ``except:`` or ``except BaseException`` that swallows a durable call's suspension."""
    if not isinstance(node, ast.Try | ast.TryStar) or not scope.holds_durable_call(node.body):
        return
    for handler in node.handlers:
        if _catches_everything(handler, scope) and not _reraises(handler):
            caught = "except:" if handler.type is None else f"except {ast.unparse(handler.type)}:"
            message = f"{caught} around durable calls catches the suspension signal"
            yield Hit(handler, _BROAD, message)


def _is_constant(value: ast.expr | None, constant: object) -> bool:
    return value is None or (isinstance(value, ast.Constant) and value.value is constant)


def _names(value: ast.expr | None, scope: Scope) -> set[str]:
    """Return the constant name ``value`` stands for: ``asyncio.FIRST_COMPLETED`` or the string."""
    if value is None:
        return set()
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    qualified = scope.qualify(value)
    return {qualified.rsplit(".", 1)[-1]} if qualified else set()


def _catches_everything(handler: ast.ExceptHandler, scope: Scope) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(scope.qualify(kind) in _EVERYTHING for kind in caught)


def _reraises(handler: ast.ExceptHandler) -> bool:
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Raise):
            if node.exc is None:
                return True
            if isinstance(node.exc, ast.Name) and node.exc.id == handler.name:
                return True
    return False
