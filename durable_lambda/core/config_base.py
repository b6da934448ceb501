"""``ConfigModel``: the frozen, strict pydantic base of every configuration value object.

A model built on it raises ``durable_lambda.core.errors.ValidationError`` naming the model, the
field and the rule, e.g. ``MapConfig.max_concurrency: Input should be greater than or equal to 1
(got 0)``, never pydantic's own error; its instances cannot be changed (``replace(...)`` returns
a validated copy).

Like the official SDK's dataclasses, a model takes its fields positionally too, in declaration
order (``StepConfig(strategy)``), except those it lists in ``keyword_only``; and a tuple field
takes a list (``retryable_error_types=[ValueError]``), stored as a tuple. Nothing else is
coerced.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar, NoReturn, Self, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from durable_lambda.core.errors import ValidationError

__all__ = ["ConfigModel", "default_config"]

_MAX_REPR = 80

# Per model class: the fields it takes positionally, and the fields that hold a tuple.
_POSITIONAL: dict[type[BaseModel], tuple[str, ...]] = {}
_TUPLE_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def _holds_tuple(annotation: object) -> bool:
    """Tell whether a field's annotation is a tuple, possibly optional or annotated."""
    origin = typing.get_origin(annotation)
    if annotation is tuple or origin is tuple:
        return True
    if origin is typing.Annotated:
        return _holds_tuple(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_holds_tuple(arg) for arg in typing.get_args(annotation))
    return False


def _positional_fields(model: type[ConfigModel]) -> tuple[str, ...]:
    names = _POSITIONAL.get(model)
    if names is None:
        skipped = model.keyword_only
        names = tuple(name for name in model.model_fields if name not in skipped)
        _POSITIONAL[model] = names
    return names


def _tuple_fields(model: type[ConfigModel]) -> frozenset[str]:
    names = _TUPLE_FIELDS.get(model)
    if names is None:
        fields = model.model_fields.items()
        names = frozenset(name for name, info in fields if _holds_tuple(info.annotation))
        _TUPLE_FIELDS[model] = names
    return names


def _with_positional(
    model: type[ConfigModel], args: tuple[object, ...], data: dict[str, object]
) -> None:
    """Add ``args`` to ``data`` under the names of the model's positional fields.

    Raises:
        ValidationError: more arguments than positional fields, or a field given twice.
    """
    names = _positional_fields(model)
    where = model.__name__.split("[", 1)[0]
    if len(args) > len(names):
        raise ValidationError(
            f"{where}: takes at most {len(names)} positional argument(s) "
            f"({', '.join(names)}), got {len(args)}"
        )
    for name, value in zip(names, args, strict=False):
        if name in data:
            raise ValidationError(
                f"{where}.{name}: given both positionally and by keyword", field=name
            )
        data[name] = value


def _lists_as_tuples(model: type[ConfigModel], data: dict[str, object]) -> None:
    """Turn a list given for a tuple field into a tuple (the official SDK takes lists there)."""
    tuple_fields = _tuple_fields(model)
    for name, value in data.items():
        if type(value) is list and name in tuple_fields:
            data[name] = tuple(value)


def _raise_validation_error(model: type[BaseModel], error: pydantic.ValidationError) -> NoReturn:
    """Raise pydantic's first complaint as our ValidationError: model, field, rule, value."""
    details = error.errors(include_url=False)
    first = details[0]
    cause = first.get("ctx", {}).get("error")
    loc = first["loc"]
    field = str(loc[0]) if loc else None
    path = "".join(f"[{part}]" for part in loc[1:] if isinstance(part, int))
    name = model.__name__.split("[", 1)[0]  # a parametrized generic is named "X[int]"
    where = f"{name}.{field}{path}" if field else name
    if isinstance(cause, ValidationError):
        if not loc:
            # model_validate of a model with its own __init__ runs that __init__, which already
            # raised ours; pydantic wrapped it, so unwrap it rather than describe it twice.
            raise cause
        # A nested model (a Duration, a CompletionConfig) rejected its value: say where it sits.
        inner = f"{field}.{cause.field}" if cause.field else field
        raise ValidationError(f"{cause} (in {where})", field=inner) from cause
    rule = str(cause) if isinstance(cause, Exception) else first["msg"]
    message = f"{where}: {rule}"
    if first["type"] != "missing":
        shown = repr(first["input"])
        message += f" (got {shown[:_MAX_REPR]}{'...' if len(shown) > _MAX_REPR else ''})"
    if len(details) > 1:
        message += f" [and {len(details) - 1} more problem(s)]"
    raise ValidationError(message, field=field) from error


class ConfigModel(BaseModel):
    """Base of every configuration model: frozen, strict, no unknown fields, our errors.

    Strict mode means no silent coercion: an ``int`` field rejects ``"3"`` and ``True``, an enum
    field wants the enum member, a tuple field wants a tuple.

    Raises:
        ValidationError: from the constructor and ``model_validate`` when a value breaks a rule,
            and from attribute assignment, since the models are frozen.

    """

    model_config = ConfigDict(
        frozen=True, strict=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True
    )

    keyword_only: ClassVar[frozenset[str]] = frozenset()
    """Fields that cannot be given positionally (those the official SDK makes keyword-only,
    and fields of ours it lacks, so that positions match its own)."""

    def __init__(self, *args: object, **data: object) -> None:
        model = type(self)
        if args:
            _with_positional(model, args, data)
        if data:
            _lists_as_tuples(model, data)
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            _raise_validation_error(type(self), error)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (a mapping or an instance) into this model.

        Raises:
            ValidationError: when a value breaks a rule.

        """
        try:
            return super().model_validate(obj, *args, **kwargs)
        except pydantic.ValidationError as error:
            _raise_validation_error(cls, error)

    def __setattr__(self, name: str, value: object) -> None:
        raise ValidationError(
            f"{type(self).__name__}.{name}: the model is frozen; use replace({name}=...) instead",
            field=name,
        )

    def __delattr__(self, name: str) -> None:
        raise ValidationError(f"{type(self).__name__}.{name}: the model is frozen", field=name)

    def replace(self, **changes: object) -> Self:
        """Return a validated copy with ``changes`` applied.

        Raises:
            ValidationError: when a changed value breaks a rule or names no field.

        """
        values: dict[str, object] = {name: getattr(self, name) for name in type(self).model_fields}
        values.update(changes)
        return type(self)(**values)


ConfigT = TypeVar("ConfigT", bound=ConfigModel)

# The configurations used when none is given, by class, made on first use: building a
# configuration model's validator costs 0.3 to 1 ms, which a process that never uses a kind of
# operation (or always passes its own configuration) need not pay.
_defaults: dict[type[ConfigModel], ConfigModel] = {}


def default_config(kind: type[ConfigT]) -> ConfigT:
    """Return ``kind()``, the configuration used when none is given, made once on first use."""
    config = _defaults.get(kind)
    if config is None:
        config = _defaults[kind] = kind()
    return config  # type: ignore[return-value]  # stored under its own class
