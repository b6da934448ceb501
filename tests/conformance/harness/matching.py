"""How a requirement's expectations are matched: placeholders, history events, callbacks, logs.

The rules are the ones the requirements document (and their own runner applies against AWS):
``'*'`` and ``{}`` accept any value, ``${X}`` binds on first use and must agree afterwards,
``${/re/}`` is a regular expression, objects compare the expected keys only, lists element by
element, and history events are paired by ``EventId``.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CallbackAction",
    "HistoryMatcher",
    "LogValidator",
    "MatchResult",
    "PlaceholderContext",
    "regex_pattern",
]

_PLACEHOLDER = re.compile(r"^\$\{(.+)\}$")
_REGEX = re.compile(r"^\$\{/(.+)/\}$")
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_GEN = re.compile(r"^\$\{GEN_STR:(\d+)\}$")


def regex_pattern(value: object) -> re.Pattern[str] | None:
    """Return the pattern of a ``${/re/}`` placeholder, or None for any other value."""
    found = _REGEX.match(value) if isinstance(value, str) else None
    return re.compile(found.group(1)) if found else None


class PlaceholderContext:
    """Variables (``${GEN_STR:N}`` or literals) plus the placeholders bound while matching."""

    def __init__(self) -> None:
        self._bound: dict[str, Any] = {}

    @property
    def bindings(self) -> dict[str, Any]:
        """A copy of every binding so far."""
        return dict(self._bound)

    def has(self, name: str) -> bool:
        """Whether ``name`` is bound."""
        return name in self._bound

    def get(self, name: str) -> Any:
        """The value bound to ``name`` (None if unbound)."""
        return self._bound.get(name)

    def bind(self, name: str, value: Any) -> None:
        """Bind ``name`` unless it is bound already."""
        self._bound.setdefault(name, value)

    def resolve_variables(self, variables: dict[str, Any] | None) -> None:
        """Bind a requirement's ``Variables``, generating the ``${GEN_STR:N}`` ones."""
        alphabet = string.ascii_lowercase + string.digits
        for name, value in (variables or {}).items():
            gen = _GEN.match(value) if isinstance(value, str) else None
            if gen:
                size = int(gen.group(1))
                self._bound[name] = "".join(secrets.choice(alphabet) for _ in range(size))
            else:
                self._bound[name] = value if isinstance(value, str) else str(value)

    def substitute(self, data: Any) -> Any:
        """Replace every bound ``${NAME}`` in ``data`` (strings, dicts and lists, recursively)."""
        if isinstance(data, str):
            return _REF.sub(lambda m: str(self._bound.get(m.group(1), m.group(0))), data)
        if isinstance(data, dict):
            return {k: self.substitute(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.substitute(v) for v in data]
        return data


@dataclass
class MatchResult:
    """Whether a match succeeded, every difference found, and the bindings made."""

    success: bool
    errors: list[str]
    resolved_placeholders: dict[str, Any] = field(default_factory=dict)


class HistoryMatcher:
    """Match expected history events against actual ones, pairing them by ``EventId``."""

    def __init__(self, context: PlaceholderContext) -> None:
        self.ctx = context
        self.errors: list[str] = []

    def match(self, expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> MatchResult:
        """Compare every expected event with the actual event of the same ``EventId``."""
        self.errors = []
        by_id = {e.get("EventId"): e for e in actual if e.get("EventId") is not None}
        for exp in expected:
            eid = exp.get("EventId")
            if eid is None:
                self.errors.append(f"Expected event missing EventId: {exp}")
            elif eid not in by_id:
                self.errors.append(f"No actual event found for EventId={eid}")
            else:
                self._match(exp, by_id[eid], f"Event[EventId={eid}]")
        return MatchResult(not self.errors, list(self.errors), self.ctx.bindings)

    def _match(self, exp: Any, act: Any, path: str) -> None:
        if (isinstance(exp, dict) and not exp) or exp == "*":
            return
        if isinstance(exp, str) and (placeholder := _PLACEHOLDER.match(exp)):
            self._match_placeholder(placeholder.group(1), exp, act, path)
            return
        if isinstance(exp, dict) and isinstance(act, dict):
            for key, value in exp.items():
                if key not in act:
                    self.errors.append(f"{path}.{key}: key missing in actual event")
                else:
                    self._match(value, act[key], f"{path}.{key}")
            return
        if isinstance(exp, list) and isinstance(act, list):
            if len(exp) != len(act):
                self.errors.append(
                    f"{path}: list length mismatch (expected {len(exp)}, got {len(act)})"
                )
                return
            for i, (e, a) in enumerate(zip(exp, act, strict=True)):
                self._match(e, a, f"{path}[{i}]")
            return
        resolved = self.ctx.substitute(exp) if isinstance(exp, str) else exp
        if resolved != act:
            self.errors.append(f"{path}: expected {resolved!r}, got {act!r}")

    def _match_placeholder(self, name: str, exp: str, act: Any, path: str) -> None:
        pattern = regex_pattern(exp)
        if pattern is not None:
            if not pattern.search(str(act)):
                self.errors.append(
                    f"{path}: value {act!r} does not match regex pattern {pattern.pattern!r}"
                )
        elif not self.ctx.has(name):
            self.ctx.bind(name, act)
        elif self.ctx.get(name) != act:
            self.errors.append(
                f"{path}: placeholder ${{{name}}} was previously bound to "
                f"{self.ctx.get(name)!r}, but got {act!r}"
            )


@dataclass(frozen=True)
class CallbackAction:
    """How to answer a ``CallbackStarted`` event: success, failure or heartbeat, maybe delayed."""

    callback_name: str
    operation: str
    payload: Any = None
    delay_seconds: float = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallbackAction:
        """Read one entry of a requirement's ``CallbackActions``.

        Raises:
            ValueError: the entry has no ``CallbackName`` or an unknown ``Operation``.
        """
        if not data.get("CallbackName"):
            raise ValueError("CallbackAction requires a 'CallbackName' field")
        operation = str(data.get("Operation") or "").lower()
        if operation not in ("success", "failure", "heartbeat"):
            raise ValueError(f"Invalid operation {data.get('Operation')!r}")
        return cls(
            data["CallbackName"], operation, data.get("Payload"), float(data.get("Delay", 0))
        )


class LogValidator:
    """``ExpectedLogs``: field match (exact or ``/re/``), count/min/max, before/after anchors."""

    @staticmethod
    def _record(line: str) -> dict[str, Any]:
        text = line.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
        return {"message": text}

    @staticmethod
    def _value_matches(exp: Any, act: Any) -> bool:
        if isinstance(exp, str):
            text = str(act).strip()
            if len(exp) >= 2 and exp[0] == exp[-1] == "/":
                return re.search(exp[1:-1], text) is not None
            return text == exp.strip()
        if isinstance(exp, bool) or isinstance(act, bool):
            return exp is act
        if isinstance(exp, int | float) and isinstance(act, int | float):
            return float(exp) == float(act)
        return str(exp) == str(act)

    def validate(
        self,
        expected_logs: list[dict[str, Any]],
        events: list[dict[str, Any]],
        context: PlaceholderContext | None = None,
    ) -> MatchResult:
        """Check the log ``events`` (``{"message", "timestamp", "ingestionTime"}``)."""
        events = sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("ingestionTime", 0)))
        keys = [(e.get("timestamp", 0), e.get("ingestionTime", 0)) for e in events]
        records = [self._record(e.get("message", "")) for e in events]

        def indexes(matcher: dict[str, Any]) -> list[int]:
            return [
                i
                for i, rec in enumerate(records)
                if all(k in rec and self._value_matches(v, rec[k]) for k, v in matcher.items())
            ]

        errors: list[str] = []
        for i, raw_entry in enumerate(expected_logs):
            entry = context.substitute(raw_entry) if context is not None else raw_entry
            match = entry.get("match") or {}
            own = indexes(match)
            label = f"ExpectedLogs[{i}] match({match})"
            errors += _count_errors(label, len(own), entry)
            for direction in ("after", "before"):
                anchors = entry.get(direction) or []
                for anchor in [anchors] if isinstance(anchors, dict) else anchors:
                    hits = indexes(anchor)
                    if not hits:
                        errors.append(f"{label}: {direction} anchor {anchor!r} matched no records")
                    elif own and direction == "after" and keys[own[0]] < keys[hits[-1]]:
                        errors.append(f"{label}: expected all matches after {anchor!r}")
                    elif own and direction == "before" and keys[own[-1]] > keys[hits[0]]:
                        errors.append(f"{label}: expected all matches before {anchor!r}")
        return MatchResult(not errors, errors, {})


def _count_errors(label: str, found: int, entry: dict[str, Any]) -> list[str]:
    exact, low, high = entry.get("count"), entry.get("min_count"), entry.get("max_count")
    if exact is not None:
        return (
            [] if found == exact else [f"{label}: expected exactly {exact} match(es), got {found}"]
        )
    low = 1 if low is None and high is None else low
    if low is not None and found < low:
        return [f"{label}: expected at least {low} match(es), got {found}"]
    if high is not None and found > high:
        return [f"{label}: expected at most {high} match(es), got {found}"]
    return []
