"""Checkpointed operations as validated plain dicts: the fast form of an invocation's state.

An invocation input (and every ``GetDurableExecutionState`` page) lists the execution's
operations, thousands of them for a long execution, and every invocation reads all of them
again. Validating each into an ``Operation`` model costs several times what validating it into
a dict does, half of it the garbage collector walking the models' ``__dict__`` and fields sets
(``docs/performance.md``, round 4). ``operation_fields_validator()`` validates the same data,
with the same rules, into plain dicts (a TypedDict per wire shape); timestamps stay the wire's
epoch milliseconds until a model is built.
``OperationList`` keeps the dicts, and builds an ``Operation`` from one only when it is asked
for; replay reads the few fields it compares straight from the dict (see ``DurableState``).

Each TypedDict mirrors a wire model of ``model`` field for field, with the same types and
constraints (a test compares them), so a dict accepted here builds the model without error, and
the model built equals the one that validating the raw input builds.
"""

# No ``from __future__ import annotations``: a TypedDict reads NotRequired from evaluated
# annotations, for its ``__required_keys__``.
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, NotRequired

from pydantic import Field
from pydantic_core import SchemaValidator, core_schema

# pydantic reads a TypedDict's fields only from typing_extensions' TypedDict before Python 3.12.
from typing_extensions import TypedDict

from durable_lambda.core.wire_types import OperationStatus, OperationType, Timestamp

__all__ = [
    "CallbackDetailsFields",
    "ChainedInvokeDetailsFields",
    "ContextDetailsFields",
    "ErrorFields",
    "ExecutionDetailsFields",
    "OperationFields",
    "PackedFields",
    "StepDetailsFields",
    "WaitDetailsFields",
    "operation_fields_validator",
    "packed",
    "packed_id",
    "unpacked",
    "worth_building",
]

_OperationId = Annotated[str, Field(min_length=1, max_length=64)]

_LAST_MILLISECOND = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last datetime
_WireTimestamp = Annotated[int, Field(strict=True, ge=0, le=_LAST_MILLISECOND)] | Timestamp
"""A timestamp, kept as the wire's epoch milliseconds when it is one (the model converts it when
built; every such int is a valid datetime), else validated as the model's ``Timestamp``."""


class ErrorFields(TypedDict):
    """``ErrorObject`` as a dict."""

    ErrorType: NotRequired[str | None]
    ErrorMessage: NotRequired[str | None]
    ErrorData: NotRequired[str | None]
    StackTrace: NotRequired[tuple[str, ...] | None]


class ExecutionDetailsFields(TypedDict):
    """``ExecutionDetails`` as a dict."""

    InputPayload: NotRequired[str | None]


class ContextDetailsFields(TypedDict):
    """``ContextDetails`` as a dict."""

    ReplayChildren: NotRequired[bool | None]
    Result: NotRequired[str | None]
    Error: NotRequired[ErrorFields | None]


class StepDetailsFields(TypedDict):
    """``StepDetails`` as a dict."""

    Attempt: NotRequired[Annotated[int, Field(ge=0)] | None]
    NextAttemptTimestamp: NotRequired[_WireTimestamp | None]
    Result: NotRequired[str | None]
    Error: NotRequired[ErrorFields | None]


class WaitDetailsFields(TypedDict):
    """``WaitDetails`` as a dict."""

    ScheduledEndTimestamp: NotRequired[_WireTimestamp | None]


class CallbackDetailsFields(TypedDict):
    """``CallbackDetails`` as a dict."""

    CallbackId: NotRequired[str | None]
    Result: NotRequired[str | None]
    Error: NotRequired[ErrorFields | None]


class ChainedInvokeDetailsFields(TypedDict):
    """``ChainedInvokeDetails`` as a dict."""

    Result: NotRequired[str | None]
    Error: NotRequired[ErrorFields | None]


class OperationFields(TypedDict):
    """``Operation`` as a dict: only the keys the input had, values validated as the model's."""

    Id: _OperationId
    ParentId: NotRequired[_OperationId | None]
    Name: NotRequired[str | None]
    Type: OperationType
    SubType: NotRequired[str | None]
    StartTimestamp: _WireTimestamp
    EndTimestamp: NotRequired[_WireTimestamp | None]
    Status: OperationStatus
    ExecutionDetails: NotRequired[ExecutionDetailsFields | None]
    ContextDetails: NotRequired[ContextDetailsFields | None]
    StepDetails: NotRequired[StepDetailsFields | None]
    WaitDetails: NotRequired[WaitDetailsFields | None]
    CallbackDetails: NotRequired[CallbackDetailsFields | None]
    ChainedInvokeDetails: NotRequired[ChainedInvokeDetailsFields | None]


@cache
def operation_fields_validator() -> SchemaValidator:
    """Return the validator of a list of wire operations (dicts) into ``OperationFields``.

    Built on first use, not at import: a cold start that never reads a state pays nothing.
    Its schema is written out here (``_fields_schema``) rather than generated from the
    TypedDicts, which costs pydantic 2 to 5 ms of a process's first map or state page; it
    builds in a few hundredths of a millisecond. A test holds it to what
    ``TypeAdapter(list[OperationFields])`` accepts, refuses and returns.
    """
    return SchemaValidator(core_schema.list_schema(_fields_schema()))


def _fields_schema() -> core_schema.CoreSchema:
    """Return the core schema pydantic generates for ``OperationFields``, spelled out."""
    cs = core_schema

    def optional(schema: cs.CoreSchema) -> cs.TypedDictField:
        return cs.typed_dict_field(cs.nullable_schema(schema), required=False)

    def fields_of(cls: type, fields: dict[str, cs.TypedDictField]) -> cs.CoreSchema:
        return cs.typed_dict_schema(fields, cls=cls, extra_behavior="ignore")

    text = cs.str_schema()
    operation_id = cs.str_schema(min_length=1, max_length=64)
    timestamp = cs.union_schema(
        [cs.int_schema(strict=True, ge=0, le=_LAST_MILLISECOND), cs.datetime_schema()]
    )
    error = optional(
        fields_of(
            ErrorFields,
            {
                "ErrorType": optional(text),
                "ErrorMessage": optional(text),
                "ErrorData": optional(text),
                "StackTrace": optional(cs.tuple_schema([text], variadic_item_index=0)),
            },
        )
    )
    return fields_of(
        OperationFields,
        {
            "Id": cs.typed_dict_field(operation_id, required=True),
            "ParentId": optional(operation_id),
            "Name": optional(text),
            "Type": cs.typed_dict_field(_enum(OperationType), required=True),
            "SubType": optional(text),
            "StartTimestamp": cs.typed_dict_field(timestamp, required=True),
            "EndTimestamp": optional(timestamp),
            "Status": cs.typed_dict_field(_enum(OperationStatus), required=True),
            "ExecutionDetails": optional(
                fields_of(ExecutionDetailsFields, {"InputPayload": optional(text)})
            ),
            "ContextDetails": optional(
                fields_of(
                    ContextDetailsFields,
                    {
                        "ReplayChildren": optional(cs.bool_schema()),
                        "Result": optional(text),
                        "Error": error,
                    },
                )
            ),
            "StepDetails": optional(
                fields_of(
                    StepDetailsFields,
                    {
                        "Attempt": optional(cs.int_schema(ge=0)),
                        "NextAttemptTimestamp": optional(timestamp),
                        "Result": optional(text),
                        "Error": error,
                    },
                )
            ),
            "WaitDetails": optional(
                fields_of(WaitDetailsFields, {"ScheduledEndTimestamp": optional(timestamp)})
            ),
            "CallbackDetails": optional(
                fields_of(
                    CallbackDetailsFields,
                    {"CallbackId": optional(text), "Result": optional(text), "Error": error},
                )
            ),
            "ChainedInvokeDetails": optional(
                fields_of(ChainedInvokeDetailsFields, {"Result": optional(text), "Error": error})
            ),
        },
    )


def _enum(cls: type[OperationType] | type[OperationStatus]) -> core_schema.CoreSchema:
    return core_schema.enum_schema(cls, list(cls.__members__.values()), sub_type="str")


FEW_OPERATIONS = 256
"""Operations validated as models in this process before the dict validator is built."""

_validated_as_models = 0


def worth_building(count: int) -> bool:
    """Whether ``count`` operations are best validated by ``operation_fields_validator``.

    Building it takes a few milliseconds, more than validating a few operations as models: the
    first invocation of a new execution (one operation) and the first checkpoint answers (a few)
    would pay it before their first checkpoint. So the first ``FEW_OPERATIONS`` operations of
    the process (in pages of at most that many) are validated as models; after that, or for a
    longer page, the validator is built once and used for everything.
    """
    global _validated_as_models
    if operation_fields_validator.cache_info().currsize > 0:
        return True
    _validated_as_models += count
    return _validated_as_models > FEW_OPERATIONS


# -- the packed form: what the state keeps of an operation a checkpoint answered -------------


PackedFields = tuple[Any, ...]
"""A validated fields dict packed into one tuple: its keys' tuple, then its values in order.

An invocation keeps every operation a checkpoint answers until it ends: one for every step it
runs. As a dict (and a second dict for its details) an operation takes about 460 bytes; packed,
about 180 (``docs/performance.md``, round 6, memory). The keys' tuple is one per shape, shared by
every operation with the same keys; a nested dict (details, an error) is packed too. A plain
tuple, which no other form of an operation is: ``type(entry) is tuple`` tells it, and building
one costs less than building a subclass. ``unpacked`` gives back the dict, equal to the one
packed."""


# Keys whose values may be dicts (details and errors): the positions to look at when packing.
_NESTED_KEYS = frozenset(
    {
        "ExecutionDetails",
        "ContextDetails",
        "StepDetails",
        "WaitDetails",
        "CallbackDetails",
        "ChainedInvokeDetails",
        "Error",
    }
)
_MAX_SHAPES = 1024
"""Distinct shapes remembered (the wire's fields allow far fewer in practice); past it, a new
shape is packed with a keys' tuple of its own."""
_shapes: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[int, ...]]] = {}


def packed(fields: Mapping[str, Any], operation_id: str | None = None) -> PackedFields:
    """Return ``fields`` (a validated dict, nested dicts included) as ``PackedFields``.

    Args:
        fields: The dict, as validated (``OperationFields`` or a details or error dict).
        operation_id: Kept as the ``Id`` instead of ``fields["Id"]`` (an equal string): one
            copy of an id shared by the state's key and its record.
    """
    keys = tuple(fields)
    shape = _shapes.get(keys)
    if shape is None:
        nested = tuple(index + 1 for index, key in enumerate(keys) if key in _NESTED_KEYS)
        shape = (keys, nested)
        if len(_shapes) < _MAX_SHAPES:
            _shapes[keys] = shape
    keys, nested = shape
    if not nested and operation_id is None:
        return (keys, *fields.values())
    values = [keys, *fields.values()]
    for index in nested:
        value = values[index]
        if type(value) is dict:
            values[index] = packed(value)
    if operation_id is not None:
        values[keys.index("Id") + 1] = operation_id  # the validator puts Id first
    return tuple(values)


def unpacked(entry: PackedFields) -> dict[str, Any]:
    """Return the dict ``entry`` was packed from (a new one, equal to it)."""
    return {
        key: unpacked(value) if type(value) is tuple and key in _NESTED_KEYS else value
        for key, value in zip(entry[0], entry[1:], strict=True)
    }


def packed_id(entry: PackedFields) -> Any:
    """Return the ``Id`` of a packed operation without unpacking it."""
    return entry[entry[0].index("Id") + 1]
