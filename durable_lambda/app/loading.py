"""Finding a durable handler from a ``TARGET`` string, as Lambda does from its handler setting."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from dependency_injector import providers

from durable_lambda.app.container import Container
from durable_lambda.app.lambda_handler import DurableFunction, durable_execution
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


def load_handler(spec: str, container: Container | None = None) -> DurableFunction[Any]:
    """Return the durable handler ``spec`` names, wired to ``container`` when one is given.

    A bare ``async def handler(event, ctx)`` is accepted as well as a ``@durable_execution`` one.

    Raises:
        ValidationError: the target cannot be loaded or is not a durable handler.
    """
    target = load_target(spec)
    if isinstance(target, DurableFunction):
        handler = target.handler
    elif callable(target):
        handler = target
    else:
        raise ValidationError(
            f"target {spec!r} is a {type(target).__name__}, not a durable handler",
            field="target",
        )
    if container is None:
        return target if isinstance(target, DurableFunction) else durable_execution(handler)
    if isinstance(target, DurableFunction):
        # Run it locally with the wiring given, but with its own serializer and plugins.
        container.serdes.override(providers.Object(target.container.serdes()))
        container.runtime_options.override(providers.Object(target.container.runtime_options()))
        return DurableFunction(handler, container, target.plugins)
    return durable_execution(container=container)(handler)


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
