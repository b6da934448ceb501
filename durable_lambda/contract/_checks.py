"""Assertions for the contract suites, without pytest: they explain a difference field by field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pydantic import BaseModel

__all__ = ["raises", "same"]

E = TypeVar("E", bound=BaseException)


@contextmanager
def raises(kind: type[E]) -> Iterator[list[E]]:
    """Like ``pytest.raises``, without pytest: the list holds the error once it is raised."""
    caught: list[E] = []
    try:
        yield caught
    except kind as error:
        caught.append(error)
        return
    raise AssertionError(f"expected {kind.__name__}, but nothing was raised")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} characters)"


def _differences(actual: object, expected: object, where: str = "") -> list[str]:
    """Describe where two values differ, field by field, key by key (records are large)."""
    if actual == expected:
        return []
    if isinstance(actual, BaseModel) and type(actual) is type(expected):
        found = []
        for field in type(actual).model_fields:
            found += _differences(
                getattr(actual, field), getattr(expected, field), f"{where}.{field}"
            )
        return found
    if isinstance(actual, dict) and isinstance(expected, dict):
        found = [f"{where}[{key!r}] is missing" for key in expected if key not in actual]
        found += [f"{where}[{key!r}] is extra" for key in actual if key not in expected]
        for key in actual.keys() & expected.keys():
            found += _differences(actual[key], expected[key], f"{where}[{key!r}]")
        return found
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        if len(actual) != len(expected):
            return [f"{where} has {len(actual)} items, expected {len(expected)}"]
        for index, (left, right) in enumerate(zip(actual, expected, strict=True)):
            if left != right:
                return _differences(left, right, f"{where}[{index}]")
    return [f"{where or 'the value'}: got {_short(actual)}, expected {_short(expected)}"]


def same(actual: object, expected: object, what: str) -> None:
    """Raise ``AssertionError`` listing where ``actual`` differs from ``expected``, if it does."""
    if actual != expected:
        lines = "\n  ".join(_differences(actual, expected)[:20])
        raise AssertionError(f"{what} is not as expected:\n  {lines}")
