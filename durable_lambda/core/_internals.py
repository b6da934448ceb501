"""Every trick this package plays on another library's internals, in one place, each with a way out.

The hot paths lean on a few implementation details of CPython, asyncio and the ``json`` module
that no public API offers at the same cost. They are kept here, and only here, so that a new
version of a library breaks one module whose tests say so (``tests/unit/core/test_internals.py``
checks each against the public behaviour it stands for), not the hot paths themselves. What each
saves is measured in ``docs/performance.md``, not here.

* ``live_task_count``: how many asyncio tasks exist, from asyncio's own registry of tasks, in
  O(1) (``asyncio.all_tasks()`` walks every task). An upper bound of the running loop's
  unfinished tasks: finished tasks still referenced, and other loops' tasks, count too.
* ``scan_json``: the C scanner behind ``json.loads``, called directly (``parse_json`` in
  ``envelope``, which falls back to ``json.loads`` for whatever the scanner declines).
* ``built_model`` and ``changed_model``: a frozen wire model built from values already valid,
  or a copy with some fields changed, by setting the slots pydantic keeps a model's state in
  (what ``model_construct`` and ``model_copy(update=...)`` do, without their generic work).
  Only for models without extra fields or private attributes (the ``WireModel``s).
"""

from __future__ import annotations

import asyncio
import asyncio.tasks
import json
from collections.abc import Callable, Sized
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["built_model", "changed_model", "live_task_count", "scan_json"]

M = TypeVar("M", bound=BaseModel)


def _task_registries() -> tuple[Sized, ...] | None:
    """Return the registries of tasks this Python keeps; None if it keeps none we know."""
    # Python 3.11 keeps one registry; 3.12 and 3.13 two (tasks scheduled, tasks run eagerly).
    known = ("_all_tasks",) if hasattr(asyncio.tasks, "_all_tasks") else ()
    names: tuple[str, ...] = known or tuple(
        n for n in ("_scheduled_tasks", "_eager_tasks") if hasattr(asyncio.tasks, n)
    )
    registries = tuple(getattr(asyncio.tasks, name) for name in names)
    if not registries or not all(hasattr(r, "__len__") for r in registries):
        return None
    return registries


_REGISTRIES = _task_registries()


def live_task_count() -> int:
    """Return at least the number of unfinished tasks of the running event loop, cheaply.

    Python 3.11 keeps every task in ``asyncio.tasks._all_tasks`` (a WeakSet); 3.12 and 3.13 in
    ``_scheduled_tasks`` and ``_eager_tasks``. Where neither exists, ``asyncio.all_tasks()``
    counts them exactly (walking every task).
    """
    if _REGISTRIES is None:
        return len(asyncio.all_tasks())
    return sum(len(registry) for registry in _REGISTRIES)


# typeshed does not declare ``scan_once``, which every JSONDecoder sets in its constructor; a
# decoder with default settings is ``json.loads``'s own.
scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


# The slots pydantic keeps a model's state in, set as ``BaseModel.__copy__`` sets them.
_set_attribute = object.__setattr__
_new_object = object.__new__  # what ``cls.__new__`` finds for a model, without the lookup
_slots: dict[str, Any] = dict(vars(BaseModel))
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


def built_model(cls: type[M], data: dict[str, Any]) -> M:
    """Return ``cls.model_construct(**data)`` for ``data`` holding every field, in field order.

    ``data`` becomes the model's ``__dict__`` as it is (not copied) and its keys the set fields;
    like ``model_construct``, nothing is validated.
    """
    model = _new_object(cls)
    _set_attribute(model, "__dict__", data)
    _set_fields_set(model, set(data))
    _set_extra(model, None)
    _set_private(model, None)
    return model


def changed_model(model: M, /, **values: Any) -> M:
    """Return ``model.model_copy(update=values)`` (``values`` must be valid; nothing is checked).

    The copy's set fields are the model's and the changed ones, as ``model_copy`` makes them.
    """
    data = model.__dict__.copy()
    data.update(values)
    copy = _new_object(type(model))
    _set_attribute(copy, "__dict__", data)
    _set_fields_set(copy, model.__pydantic_fields_set__.union(values))
    _set_extra(copy, None)
    _set_private(copy, None)
    return copy
