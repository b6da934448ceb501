"""What the rules need to know about one orchestration function.

Which names hold a durable context, a durable call not yet awaited (a callback, a task), a
network client (``s3 = boto3.client("s3")``, module-level or local) or a set; which calls are
durable calls; and what each name stands for once imports and local bindings are resolved.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from durable_lambda.app.lint.index import Function, ModuleIndex, own_nodes
from durable_lambda.app.lint.names import ImportTable
from durable_lambda.app.lint.scopes import contexts_of

__all__ = ["NETWORK_MODULES", "Scope", "is_network", "module_clients"]

NETWORK_MODULES = (
    "requests",
    "httpx",
    "urllib.request",
    "urllib3",
    "aiohttp",
    "http.client",
    "boto3",
    "aioboto3",
    "botocore",
)
"""Modules whose calls (and the clients they make) do network I/O."""

# Context methods that are not durable operations: they never suspend nor take an id.
_NOT_DURABLE = frozenset({"is_replaying", "set_logger", "operations_started", "uuid4", "random"})
_SET_TYPE = re.compile(
    r"^['\"]?(typing\.|collections\.abc\.|abc\.)?(set|frozenset|Set|FrozenSet|AbstractSet|MutableSet)\b"
)
_SET_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
_SET_OPERATORS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)


def is_network(qualified: str | None) -> bool:
    """Whether ``qualified`` names something of a network module."""
    return qualified is not None and any(
        qualified == module or qualified.startswith(f"{module}.") for module in NETWORK_MODULES
    )


def module_clients(tree: ast.Module, imports: ImportTable) -> frozenset[str]:
    """Return the module-level names that hold a network client (``s3 = boto3.client("s3")``)."""
    return frozenset(_clients(tree.body, imports, lambda name: False, set()))


@dataclass
class Scope:
    """One orchestration function, as the rules see it.

    Args:
        function: The function.
        index: The module's functions.
        imports: The module's imports.
        module_clients: The module-level network clients.
    """

    function: Function
    index: ModuleIndex
    imports: ImportTable
    module_clients: frozenset[str]
    contexts: frozenset[str] = field(init=False)
    clients: frozenset[str] = field(init=False)
    sets: frozenset[str] = field(init=False)
    handles: frozenset[str] = field(init=False)
    parents: dict[ast.AST, ast.AST] = field(init=False)

    def __post_init__(self) -> None:
        chain = list(self.function.chain())[::-1]  # outermost first: inner code sees outer names
        self.contexts = frozenset(contexts_of(self.function))
        clients: set[str] = set(self.module_clients)
        sets: set[str] = set()
        handles: set[str] = set()
        for function in chain:
            clients |= _clients(function.body, self.imports, function.binds, clients)
            sets |= self._sets_of(function, sets)
        self.clients, self.sets = frozenset(clients), frozenset(sets)
        self.handles = frozenset()  # what the handles are is found with the durable calls
        for function in chain:
            handles |= self._handles_of(function)
        self.handles = frozenset(handles)
        self.parents = {
            child: node for node in self.nodes() for child in ast.iter_child_nodes(node)
        }

    def nodes(self, roots: Iterable[ast.AST] | None = None) -> Iterable[ast.AST]:
        """Yield the orchestration code under ``roots`` (default: the whole function body).

        Step bodies, nested orchestration functions (checked on their own) and nested ``def``s
        are left out; a lambda that is neither runs here (a sort key, say) and is entered.
        """
        entered = lambda node: self.index.of(node).role is None  # noqa: E731
        return own_nodes(self.function.body if roots is None else roots, entered)

    def qualify(self, expr: ast.expr) -> str | None:
        """Return what ``expr`` stands for here: ``dt.now`` -> ``datetime.datetime.now``."""
        return self.imports.qualify(expr, self.function.binds)

    def is_durable_call(self, call: ast.Call) -> bool:
        """Whether ``call`` is a durable operation, or hands a durable context to a function."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in self.contexts and func.attr not in _NOT_DURABLE:
                return True
            if func.value.id in self.handles:
                return True
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        return any(isinstance(a, ast.Name) and a.id in self.contexts for a in arguments)

    def holds_durable_call(self, roots: Iterable[ast.AST]) -> bool:
        """Whether the code under ``roots`` makes a durable call or uses an unawaited one."""
        for node in self.nodes(roots):
            if isinstance(node, ast.Call) and self.is_durable_call(node):
                return True
            if isinstance(node, ast.Name) and node.id in self.handles:
                return True
        return False

    def is_set(self, expr: ast.expr, sets: frozenset[str] | set[str] | None = None) -> bool:
        """Whether ``expr`` evaluates to a set or frozenset, as far as the code shows."""
        known = self.sets if sets is None else sets
        if isinstance(expr, ast.Set | ast.SetComp):
            return True
        if isinstance(expr, ast.Name):
            return expr.id in known
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, _SET_OPERATORS):
            return self.is_set(expr.left, known) or self.is_set(expr.right, known)
        if not isinstance(expr, ast.Call):
            return False
        if self.qualify(expr.func) in ("builtins.set", "builtins.frozenset"):
            return True
        func = expr.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in _SET_METHODS
            and self.is_set(func.value, known)
        )

    def _sets_of(self, function: Function, outer: set[str]) -> set[str]:
        """Return the names ``function`` binds to sets: annotated so, or only ever assigned one."""
        node = function.node
        arguments = node.args
        params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        found = {
            a.arg for a in params if a.annotation and _SET_TYPE.match(ast.unparse(a.annotation))
        }
        assigned: dict[str, list[ast.expr]] = {}
        for child in own_nodes(function.body):
            if isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
                if _SET_TYPE.match(ast.unparse(child.annotation)):
                    found.add(child.target.id)
                elif child.value is not None:
                    assigned.setdefault(child.target.id, []).append(child.value)
            elif isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(child.value)
        changed = True
        while changed:
            known = outer | found
            new = {
                n for n, values in assigned.items() if all(self.is_set(v, known) for v in values)
            }
            changed = not new <= found
            found |= new
        return found

    def _handles_of(self, function: Function) -> set[str]:
        """Names holding durable calls not awaited yet (``cb = await ctx.create_callback()``)."""
        handles: set[str] = set()
        for child in own_nodes(function.body):
            if not isinstance(child, ast.Assign):
                continue
            value = child.value
            callback = (
                isinstance(value, ast.Await)
                and isinstance(value.value, ast.Call)
                and isinstance(value.value.func, ast.Attribute)
                and value.value.func.attr == "create_callback"
            )
            if callback or (not isinstance(value, ast.Await) and self.holds_durable_call([value])):
                for target in child.targets:
                    handles.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        return handles


def _clients(
    statements: Iterable[ast.AST],
    imports: ImportTable,
    is_local: Callable[[str], bool],
    known: set[str],
) -> set[str]:
    """Names bound to a network client (or to something made from one) in ``statements``."""
    found: set[str] = set()
    for node in own_nodes(statements):
        pairs: list[tuple[ast.expr, ast.expr | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.With | ast.AsyncWith):
            pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
        for target, value in pairs:
            if isinstance(target, ast.Name) and _makes_client(
                value, imports, is_local, known | found
            ):
                found.add(target.id)
    return found


def _makes_client(
    value: ast.expr | None,
    imports: ImportTable,
    is_local: Callable[[str], bool],
    known: set[str],
) -> bool:
    """Whether ``value`` is made by a network call or from a client (``s3.Table("t")``)."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    expr: ast.expr = value
    while isinstance(expr, ast.Call | ast.Attribute):
        if isinstance(expr, ast.Call):
            if is_network(imports.qualify(expr.func, is_local)):
                return True
            expr = expr.func
        else:
            expr = expr.value
    return isinstance(expr, ast.Name) and expr.id in known
