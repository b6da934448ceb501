"""Finding a durable handler from a ``TARGET`` string, as Lambda does from its handler setting."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from durable_lambda.app.definition import check_handler
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.core.errors import ValidationError

__all__ = ["load_handler", "load_target"]


def load_target(spec: str) -> Any:
    """Import ``spec`` and return the object it names.

    ``spec`` is ``path/to/file.py:attr`` (the file's folder goes first on ``sys.path``, as Lambda's
    task root does, so modules beside it import) or ``package.module:attr``.

    Raises:
        ValidationError: the spec is malformed, the module cannot be imported, or it has no such
            attribute; the message says which.
    """
    module_part, separator, attribute = spec.rpartition(":")
    if not separator or not module_part or not attribute:
        raise ValidationError(
            f"target {spec!r} must look like path/to/file.py:handler or package.module:handler",
            field="target",
        )
    module = _import(module_part, spec)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ValidationError(
            f"target {spec!r}: module {module_part!r} has no attribute {attribute!r}",
            field="target",
        ) from None


def load_handler(spec: str, *, as_lambda: bool = False) -> DurableFunction[Any]:
    """Return the durable function ``spec`` names: its definition, as it was decorated.

    A bare ``async def handler(event, ctx)`` is accepted as well as a ``@durable_execution`` one
    (it runs with the default settings), unless ``as_lambda`` is set.

    Args:
        spec: ``path/to/file.py:handler`` or ``package.module:handler``.
        as_lambda: Load the target as Lambda would run it: a bare ``async def`` runs locally
            but Lambda cannot call it, so it is refused, saying how to decorate it.

    Raises:
        ValidationError: the target cannot be loaded, is not an ``async def`` handler, or (with
            ``as_lambda``) is not decorated.
    """
    target = load_target(spec)
    if isinstance(target, DurableFunction):
        return target
    handler = check_handler(target, f"target {spec!r}")
    if as_lambda:
        name = getattr(target, "__name__", spec.rpartition(":")[2])
        raise ValidationError(
            f"target {spec!r} is an undecorated async def: it would run here but fail on Lambda, "
            f"which calls the object @durable_execution makes; decorate it: "
            f"@durable_execution above async def {name}(event, ctx) "
            "(from durable_lambda import durable_execution)",
            field="target",
        )
    return DurableFunction(handler)


def _import(module_part: str, spec: str) -> Any:
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        return _import_file(Path(module_part), spec)
    try:
        return importlib.import_module(module_part)
    except ImportError as error:
        raise ValidationError(
            f"target {spec!r}: cannot import {module_part!r}: {error}", field="target"
        ) from error


def _import_file(path: Path, spec: str) -> Any:
    path = path.resolve()
    if not path.is_file():
        raise ValidationError(f"target {spec!r}: no such file {path}", field="target")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = path.stem
    existing = sys.modules.get(module_name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValidationError(f"target {spec!r}: {path} is not a Python module", field="target")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise ValidationError(
            f"target {spec!r}: importing {path} failed: {type(error).__name__}: {error}",
            field="target",
        ) from error
    return module
