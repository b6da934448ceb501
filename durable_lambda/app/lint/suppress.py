"""``# durable: ignore`` comments: the findings a line asks the linter to keep quiet about.

``# durable: ignore`` silences every rule on its line; ``# durable: ignore[DUR004]`` or
``# durable: ignore[environment, DUR001]`` only those rules (by code or name). The comment may
share the line with other comments (``# noqa: E501  # durable: ignore[DUR001]``).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from durable_lambda.app.lint.rules import UnknownRuleError, rule_named

__all__ = ["EVERY_RULE", "Suppressions"]

EVERY_RULE = "*"
"""Stands for every rule in a line's set of silenced codes."""

_DIRECTIVE = re.compile(r"durable:\s*ignore(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)


class Suppressions:
    """The rules each line of a source file silences.

    Args:
        source: The file's text.
    """

    def __init__(self, source: str) -> None:
        self._by_line: dict[int, set[str]] = {}
        for line, comment in _comments(source):
            for match in _DIRECTIVE.finditer(comment):
                self._by_line.setdefault(line, set()).update(_codes(match["rules"]))

    def silences(self, line: int, code: str) -> bool:
        """Whether ``line`` carries a comment that silences rule ``code``."""
        codes = self._by_line.get(line, set())
        return EVERY_RULE in codes or code in codes


def _codes(rules: str | None) -> Iterable[str]:
    if rules is None or not rules.strip():
        return {EVERY_RULE}
    codes = set()
    for key in rules.split(","):
        try:
            codes.add(rule_named(key).code)
        except UnknownRuleError:
            continue  # a code of another tool; it silences nothing here
    return codes


def _comments(source: str) -> Iterable[tuple[int, str]]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):  # the parser reports what is wrong
        return []
    return [(token.start[0], token.string) for token in tokens if token.type == tokenize.COMMENT]
