"""Every function and lambda of a module, where it is defined, and what it binds.

The linter reasons about functions one at a time: which code belongs to a function's own body
(not to the functions and lambdas defined inside it), which names it binds (a parameter named
``random`` hides the module), and what a bare name used in it refers to (a nested ``def``, a
module-level ``def``, or a name assigned a lambda or a ``partial``).
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["Function", "FunctionNode", "ModuleIndex", "Role", "own_nodes", "positional_params"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class Role(enum.Enum):
    """What a function is to a durable execution."""

    ORCHESTRATION = "orchestration"
    """Durable code: it runs again on every replay, so it must take the same path each time."""
    STEP = "step"
    """A step body (or condition check, or callback submitter): it runs once, recorded."""


@dataclass(eq=False)
class Function:
    """One ``def`` or ``lambda`` and what the linter learnt about it.

    Args:
        node: The definition.
        parent: The function it is defined in (None at module or class level of a module).
        in_class: Whether it is a method (its first parameter is ``self`` or ``cls``).

    The classification fills in the rest: the ``role`` and the ``reason`` for it, the names of
    its parameters that hold a durable context, and whether an SDK decorator wraps it.
    """

    node: FunctionNode
    parent: Function | None
    in_class: bool
    role: Role | None = None
    reason: str = ""
    decorated: bool = False
    contexts: set[str] = field(default_factory=set)
    bound: set[str] = field(default_factory=set)
    defs: dict[str, list[Function]] = field(default_factory=dict)
    values: dict[str, ast.expr] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The function's name, or ``<lambda at line N>``."""
        if isinstance(self.node, ast.Lambda):
            return f"<lambda at line {self.node.lineno}>"
        return self.node.name

    @property
    def body(self) -> list[ast.AST]:
        """The function's own code: a def's statements, a lambda's expression."""
        return _body(self.node)

    def chain(self) -> Iterator[Function]:
        """Yield this function, then the functions it is nested in, innermost first."""
        current: Function | None = self
        while current is not None:
            yield current
            current = current.parent

    def binds(self, name: str) -> bool:
        """Whether ``name`` is a local of this function or of one it is nested in."""
        return any(name in function.bound for function in self.chain())


class ModuleIndex:
    """Every function of a module, with the names each binds and the definitions it holds.

    Args:
        tree: The parsed module.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.functions: dict[FunctionNode, Function] = {}
        self.module_defs: dict[str, list[Function]] = {}
        self.module_values: dict[str, ast.expr] = {}
        _record_values(tree.body, self.module_values)
        self._visit(tree.body, parent=None, in_class=False)

    def of(self, node: FunctionNode) -> Function:
        """Return what is known about the function defined by ``node``."""
        return self.functions[node]

    def lookup(self, name: str, scope: Function | None) -> tuple[list[Function], ast.expr | None]:
        """Find what bare ``name`` refers to from inside ``scope``, innermost scope first.

        Returns:
            The ``def`` statements of that name, or else the value last assigned to it.
        """
        for function in scope.chain() if scope is not None else ():
            if name in function.defs:
                return function.defs[name], None
            if name in function.values:
                return [], function.values[name]
            if name in function.bound:
                return [], None
        if name in self.module_defs:
            return self.module_defs[name], None
        return [], self.module_values.get(name)

    def _visit(self, nodes: Iterable[ast.AST], parent: Function | None, in_class: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                self._visit(node.body, parent, in_class=True)
                self._visit(_class_header(node), parent, in_class=False)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                self._add(node, parent, in_class)
            else:
                self._visit(ast.iter_child_nodes(node), parent, in_class=False)

    def _add(self, node: FunctionNode, parent: Function | None, in_class: bool) -> None:
        function = Function(node, parent, in_class)
        self.functions[node] = function
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not in_class:
            owner = parent.defs if parent is not None else self.module_defs
            owner.setdefault(node.name, []).append(function)
        function.bound = _bound_names(node)
        if not isinstance(node, ast.Lambda):
            _record_values(node.body, function.values)
        # Decorators and defaults run in the enclosing scope; the body in the function's own.
        self._visit(_header(node), parent, in_class=False)
        self._visit(_body(node), function, in_class=False)


def own_nodes(
    roots: Iterable[ast.AST], enter: Callable[[FunctionNode], bool] = lambda node: False
) -> Iterator[ast.AST]:
    """Yield ``roots`` and every node under them that belongs to the same function.

    Nested ``def``s, classes and lambdas are yielded but not entered (a lambda is entered if
    ``enter`` says so), so the order is depth-first except that those come early.
    """
    stack: list[ast.AST] = []
    pending: list[ast.AST] = list(roots)
    while pending or stack:
        for node in reversed(pending):
            if not isinstance(node, _SCOPES) or (isinstance(node, ast.Lambda) and enter(node)):
                stack.append(node)
            else:  # the definition itself is this function's; what is inside it is not
                yield node
        if not stack:
            return
        node = stack.pop()
        yield node
        pending = list(ast.iter_child_nodes(node))


def positional_params(function: Function) -> list[str]:
    """Return the names of the parameters a positional argument can fill, ``self`` excluded."""
    arguments = function.node.args
    names = [arg.arg for arg in (*arguments.posonlyargs, *arguments.args)]
    if function.in_class and not _is_static(function.node):
        return names[1:]
    return names


def _is_static(node: FunctionNode) -> bool:
    if isinstance(node, ast.Lambda):
        return False
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def _body(node: FunctionNode) -> list[ast.AST]:
    return [node.body] if isinstance(node, ast.Lambda) else list(node.body)


def _header(node: FunctionNode) -> list[ast.AST]:
    arguments = node.args
    parts: list[ast.AST] = [*arguments.defaults, *(d for d in arguments.kw_defaults if d)]
    if not isinstance(node, ast.Lambda):
        parts.extend(node.decorator_list)
    return parts


def _class_header(node: ast.ClassDef) -> list[ast.AST]:
    return [*node.decorator_list, *node.bases, *node.keywords]


def _bound_names(node: FunctionNode) -> set[str]:
    arguments = node.args
    params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    params.extend(arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None)
    bound = {arg.arg for arg in params}
    for child in own_nodes(_body(node)):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            bound.add(child.id)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(child.name)
        elif isinstance(child, ast.ExceptHandler):
            bound.update([child.name] if child.name else [])
    return bound


def _record_values(statements: Iterable[ast.AST], values: dict[str, ast.expr]) -> None:
    """Remember the value last assigned to each simply assigned name (``x = ...``)."""
    for node in own_nodes(statements):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            values[node.target.id] = node.value
