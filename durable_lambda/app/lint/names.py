"""What a name in a module stands for: imports resolved through aliases, and builtins.

``from datetime import datetime as dt`` makes ``dt.now`` read ``datetime.datetime.now``;
``import random as r`` makes ``r.choice`` read ``random.choice``. Rules compare these qualified
names, so an alias hides nothing.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

__all__ = ["ImportTable", "dotted"]

_BUILTINS = frozenset(dir(builtins))


class ImportTable:
    """The qualified name each imported name of a module stands for.

    Imports anywhere in the module count (a function-level ``import random`` means the module
    just as a top-level one does). Names the module binds otherwise (a ``def set``, an
    assignment) hide the builtin of that name.

    Args:
        tree: The parsed module.
    """

    def __init__(self, tree: ast.Module) -> None:
        self._imported: dict[str, str] = {}
        self._module_bound: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._imported[alias.asname] = alias.name
                    else:  # ``import urllib.request`` binds ``urllib``
                        top = alias.name.split(".")[0]
                        self._imported[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self._imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._module_bound.add(statement.name)
            for target in _assigned(statement):
                self._module_bound.add(target)

    def qualify(self, expr: ast.expr, is_local: Callable[[str], bool]) -> str | None:
        """Return the qualified name ``expr`` stands for, or None if it is not a known name.

        Args:
            expr: A name or an attribute chain (``dt.now``, ``os.environ``).
            is_local: Whether a bare name is bound by the function the code is in (a parameter
                or a local assignment), which hides an import or builtin of that name.
        """
        chain = dotted(expr)
        if chain is None:
            return None
        head, _, rest = chain.partition(".")
        if is_local(head):
            return None
        if head in self._imported:
            base = self._imported[head]
        elif head in _BUILTINS and head not in self._module_bound:
            base = f"builtins.{head}"
        else:
            return None
        return f"{base}.{rest}" if rest else base


def dotted(expr: ast.expr) -> str | None:
    """Return ``a.b.c`` for a chain of attributes on a name, or None for anything else."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _assigned(statement: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    return [
        name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)
    ]
