"""DUR007: iterating over a set, whose order depends on the process's hash seed.

Python randomises the hash of strings per process (``PYTHONHASHSEED``), so a loop over a set of
strings starts its durable operations in another order in the next Lambda process, and replay
fails there. Iterations whose order cannot matter are not reported: building another set, or
``sorted``, ``sum``, ``min``, ``max``, ``any``, ``all``, ``len`` over it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from durable_lambda.app.lint.facts import Scope
from durable_lambda.app.lint.finding import Hit
from durable_lambda.app.lint.rules import rule_named

__all__ = ["check_set_iteration"]

_RULE = rule_named("set-iteration")
_ORDER_FREE = frozenset(
    f"builtins.{name}"
    for name in ("sorted", "sum", "min", "max", "any", "all", "len", "set", "frozenset")
)
_ORDERING = frozenset(
    f"builtins.{name}"
    for name in ("list", "tuple", "enumerate", "iter", "zip", "map", "filter", "reversed")
) | {"builtins.dict.fromkeys"}
_COMPREHENSIONS = (ast.ListComp, ast.DictComp, ast.GeneratorExp)


def check_set_iteration(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report a loop, comprehension, unpacking or ordering call over a set."""
    for iterated in _iterated(node, scope):
        if scope.is_set(iterated):
            shown = ast.unparse(iterated)
            shown = shown if len(shown) <= 40 else f"{shown[:37]}..."
            message = (
                f"iterating over the set {shown} follows hash order, which differs per process"
            )
            yield Hit(iterated, _RULE, message)


def _iterated(node: ast.AST, scope: Scope) -> list[ast.expr]:
    """Return the expressions ``node`` iterates over in an order that shows."""
    if isinstance(node, ast.For | ast.AsyncFor):
        return [node.iter]
    if isinstance(node, _COMPREHENSIONS) and not _order_free(node, scope):
        return [generator.iter for generator in node.generators]
    if isinstance(node, ast.Starred) and not isinstance(scope.parents.get(node), ast.Set):
        return [node.value]
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple | ast.List):
        return [node.value]
    if isinstance(node, ast.Call):
        return _ordering_arguments(node, scope)
    return []


def _order_free(node: ast.expr, scope: Scope) -> bool:
    parent = scope.parents.get(node)
    return (
        isinstance(parent, ast.Call)
        and parent.args[:1] == [node]
        and scope.qualify(parent.func) in _ORDER_FREE
    )


def _ordering_arguments(call: ast.Call, scope: Scope) -> list[ast.expr]:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "join" and len(call.args) == 1:
        return list(call.args)  # ", ".join(names)
    if isinstance(func, ast.Attribute) and func.attr == "pop" and not call.args:
        return [func.value]  # which element a set pops is its first in hash order
    if scope.qualify(func) in _ORDERING:
        return [argument for argument in call.args if not isinstance(argument, ast.Starred)]
    return []
