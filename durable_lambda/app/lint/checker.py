"""Lint one module: find its orchestration functions and run every rule over their code."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Iterator

from durable_lambda.app.lint.calls import check_call, check_reference
from durable_lambda.app.lint.concurrency import (
    check_broad_except,
    check_concurrency_call,
    check_with_block,
)
from durable_lambda.app.lint.facts import Scope, module_clients
from durable_lambda.app.lint.finding import Finding, Hit
from durable_lambda.app.lint.index import ModuleIndex, Role
from durable_lambda.app.lint.names import ImportTable
from durable_lambda.app.lint.scopes import classify
from durable_lambda.app.lint.sets import check_set_iteration
from durable_lambda.app.lint.suppress import Suppressions

__all__ = ["CHECKS", "lint_source", "lint_tree"]

Check = Callable[[ast.AST, Scope], Iterator[Hit]]
CHECKS: tuple[Check, ...] = (
    check_call,
    check_reference,
    check_set_iteration,
    check_concurrency_call,
    check_with_block,
    check_broad_except,
)
"""Every rule's check; each is given every node of every orchestration function."""


def lint_source(
    source: str, path: str = "<string>", codes: Collection[str] | None = None
) -> list[Finding]:
    """Return what breaks replay in the orchestration code of the module ``source``.

    Args:
        source: The module's text.
        path: Its path, as findings should show it.
        codes: The rule codes to report (default: all). ``# durable: ignore`` comments in
            ``source`` silence findings on their line.

    Returns:
        The findings, in line and column order.

    Raises:
        SyntaxError: ``source`` is not valid Python.

    Example:
        >>> source = '''
        ... import time
        ... from durable_lambda import DurableContext
        ... async def handler(event, ctx: DurableContext):
        ...     return time.time()
        ... '''
        >>> [finding.rule.code for finding in lint_source(source)]
        ['DUR001']
    """
    tree = ast.parse(source, filename=path)
    suppressions = Suppressions(source)
    return [
        finding
        for finding in lint_tree(tree, path)
        if (codes is None or finding.rule.code in codes)
        and not suppressions.silences(finding.line, finding.rule.code)
    ]


def lint_tree(tree: ast.Module, path: str) -> list[Finding]:
    """Return every finding in the parsed module ``tree`` (no comment is consulted)."""
    imports = ImportTable(tree)
    index = ModuleIndex(tree)
    classify(index, imports)
    clients = module_clients(tree, imports)
    found: dict[tuple[int, int, str], Finding] = {}
    for function in index.functions.values():
        if function.role is not Role.ORCHESTRATION:
            continue
        scope = Scope(function, index, imports, clients)
        for hit in _hits(scope):
            finding = Finding(
                path=path,
                line=hit.node.lineno,
                column=hit.node.col_offset + 1,
                rule=hit.rule,
                message=hit.message,
                function=function.name,
                reason=function.reason,
            )
            found.setdefault((finding.line, finding.column, finding.rule.code), finding)
    return [found[key] for key in sorted(found)]


def _hits(scope: Scope) -> Iterator[Hit]:
    for node in scope.nodes():
        for check in CHECKS:
            yield from check(node, scope)
