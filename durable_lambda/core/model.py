"""Wire models of the Lambda durable execution API.

Field names are the service's own PascalCase names (botocore's ``lambda`` model, API version
2025-12-01), so ``model_dump(exclude_none=True)`` is exactly what goes on the wire and a boto3
response validates without any renaming. Every model is frozen: an operation or an update is a
value, never mutated in place.

Timestamps are timezone-aware ``datetime`` objects in Python. They are read from epoch
milliseconds (the Lambda invocation input), ISO strings or ``datetime`` objects (boto3), and are
written as epoch milliseconds in JSON mode, which is what the service puts in invocation inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, overload

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import core_schema

from durable_lambda.core.operation_fields import (
    OperationFields,
    operation_fields_validator,
    worth_building,
)
from durable_lambda.core.wire_types import (
    InvocationStatus,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    Timestamp,
    epoch_millis,
)

__all__ = [
    "CallbackDetails",
    "CallbackOptions",
    "ChainedInvokeDetails",
    "ChainedInvokeOptions",
    "CheckpointResponse",
    "ContextDetails",
    "ContextOptions",
    "ErrorObject",
    "ExecutionDetails",
    "ExecutionState",
    "InvocationInput",
    "InvocationOutput",
    "InvocationStatus",
    "Operation",
    "OperationAction",
    "OperationList",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
    "OperationUpdate",
    "StepDetails",
    "StepOptions",
    "Timestamp",
    "WaitDetails",
    "WaitOptions",
    "as_operation",
    "epoch_millis",
]


class WireModel(BaseModel):
    """Base of every wire model: frozen, PascalCase, unknown fields ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready dict the service expects, without absent fields.

        What ``model_dump(mode="json", exclude_none=True)`` returns, built from the fields
        directly: every update of every checkpoint call goes through here, and pydantic's
        serializer costs several times as much for these small models. A value of a type the
        walk does not know takes pydantic's way for the whole model.
        """
        try:
            return _wire_dict(self)
        except _NotPlainError:
            return self.model_dump(mode="json", exclude_none=True)


class _NotPlainError(Exception):
    """A field value ``_wire_dict`` leaves to pydantic."""


_PLAIN_TYPES = frozenset({str, int, bool, float})
# The wire enums, written as their values (``_value_``: the member's own attribute, read without
# the ``value`` property).
_WIRE_ENUMS = frozenset(
    {InvocationStatus, OperationAction, OperationStatus, OperationSubType, OperationType}
)


def _wire_dict(model: WireModel) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    for name, value in model.__dict__.items():
        if value is None:
            continue
        kind = type(value)
        if kind in _PLAIN_TYPES:
            wire[name] = value
        elif kind in _WIRE_ENUMS:
            wire[name] = value._value_
        else:
            wire[name] = _wire_value(value)
    return wire


def _wire_value(value: Any) -> Any:
    if value is None or type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, WireModel):
        return _wire_dict(value)
    if isinstance(value, tuple | list):
        return [_wire_value(item) for item in value]
    if isinstance(value, datetime):
        return epoch_millis(value)
    raise _NotPlainError


class ErrorObject(WireModel):
    """An error as the service stores it."""

    ErrorType: str | None = None
    ErrorMessage: str | None = None
    ErrorData: str | None = None
    StackTrace: tuple[str, ...] | None = None


class ExecutionDetails(WireModel):
    """Details of the EXECUTION operation: the user's input as JSON text."""

    InputPayload: str | None = None


class ContextDetails(WireModel):
    """Details of a CONTEXT operation (child context, map, parallel)."""

    ReplayChildren: bool | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class StepDetails(WireModel):
    """Details of a STEP operation: attempts so far, the next retry, the outcome."""

    Attempt: Annotated[int, Field(ge=0)] | None = None
    NextAttemptTimestamp: Timestamp | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class WaitDetails(WireModel):
    """Details of a WAIT operation."""

    ScheduledEndTimestamp: Timestamp | None = None


class CallbackDetails(WireModel):
    """Details of a CALLBACK operation: the id the outside world answers to."""

    CallbackId: str | None = None
    Result: str | None = None
    Error: ErrorObject | None = None


class ChainedInvokeDetails(WireModel):
    """Details of a CHAINED_INVOKE operation."""

    Result: str | None = None
    Error: ErrorObject | None = None


# Aliases: a field named like its type would otherwise shadow the type in the class body.
_ExecutionDetails = ExecutionDetails
_ContextDetails = ContextDetails
_StepDetails = StepDetails
_WaitDetails = WaitDetails
_CallbackDetails = CallbackDetails
_ChainedInvokeDetails = ChainedInvokeDetails


class Operation(WireModel):
    """One checkpointed operation as the service reports it."""

    Id: Annotated[str, Field(min_length=1, max_length=64)]
    ParentId: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    Name: str | None = None
    Type: OperationType
    SubType: str | None = None
    StartTimestamp: Timestamp
    EndTimestamp: Timestamp | None = None
    Status: OperationStatus
    ExecutionDetails: _ExecutionDetails | None = None
    ContextDetails: _ContextDetails | None = None
    StepDetails: _StepDetails | None = None
    WaitDetails: _WaitDetails | None = None
    CallbackDetails: _CallbackDetails | None = None
    ChainedInvokeDetails: _ChainedInvokeDetails | None = None

    @property
    def result_payload(self) -> str | None:
        """The stored result payload, whatever the operation's type."""
        details = self._outcome_details()
        return None if details is None else details.Result

    @property
    def error(self) -> ErrorObject | None:
        """The stored error, whatever the operation's type."""
        details = self._outcome_details()
        return None if details is None else details.Error

    def _outcome_details(
        self,
    ) -> _StepDetails | _ContextDetails | _CallbackDetails | _ChainedInvokeDetails | None:
        if self.Type is OperationType.STEP:
            return self.StepDetails
        if self.Type is OperationType.CONTEXT:
            return self.ContextDetails
        if self.Type is OperationType.CALLBACK:
            return self.CallbackDetails
        if self.Type is OperationType.CHAINED_INVOKE:
            return self.ChainedInvokeDetails
        return None


def as_operation(entry: Operation | OperationFields | Mapping[str, Any]) -> Operation:
    """Return ``entry`` as a model: itself, or the ``Operation`` built from its validated dict."""
    if isinstance(entry, Operation):
        return entry
    return Operation.model_validate(entry)


class OperationList(Sequence[Operation]):
    """The operations of a state page: a sequence of ``Operation``, built from dicts when read.

    Validated from wire dicts, it keeps each operation as the ``OperationFields`` dict validated
    with the model's rules and builds the ``Operation`` the first time an item is read (see
    ``operation_fields``); ``entries()`` hands out what it keeps without building anything.
    Validated from ``Operation`` objects, it keeps them. Anything the dict form does not accept
    (a model nested in a dict, or invalid input) is validated as a list of ``Operation`` models,
    with the models' errors. It compares equal to a tuple or list of the same operations, and
    serialises as a list of them.

    Args:
        entries: Operations, or validated ``OperationFields`` dicts.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Sequence[Operation | OperationFields] = ()) -> None:
        self._entries: list[Operation | OperationFields] = list(entries)

    def entries(self) -> list[Operation | OperationFields]:
        """Return the operations as kept: ``Operation`` objects and ``OperationFields`` dicts."""
        return self._entries

    @staticmethod
    def entries_of(operations: Sequence[Operation]) -> list[Operation | OperationFields]:
        """Return ``operations`` as kept if they are an ``OperationList``, else as a list."""
        if isinstance(operations, OperationList):
            return operations.entries()
        return list(operations)

    def _built(self, index: int) -> Operation:
        built = self._entries[index] = as_operation(self._entries[index])
        return built

    @overload
    def __getitem__(self, index: int) -> Operation: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Operation, ...]: ...

    def __getitem__(self, index: int | slice) -> Operation | tuple[Operation, ...]:
        if isinstance(index, slice):
            return tuple(self._built(i) for i in range(len(self._entries))[index])
        return self._built(range(len(self._entries))[index])

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Operation]:
        for index in range(len(self._entries)):
            yield self._built(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OperationList | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # its items are built in place

    def __repr__(self) -> str:
        return f"OperationList({list(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate wire dicts fast into fields (else as models); serialise as a list of models."""
        models = handler.generate_schema(list[Operation])

        def from_python(
            value: Any, validate_models: core_schema.ValidatorFunctionWrapHandler
        ) -> Any:
            if isinstance(value, OperationList):
                return value
            if (
                isinstance(value, list | tuple)
                and worth_building(len(value))
                and all(type(item) is dict for item in value)
            ):
                try:
                    return cls(operation_fields_validator().validate_python(value))
                except ValueError:
                    pass  # invalid: the models say what is wrong, in their own words
            return cls(validate_models(value))

        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(cls, models),
            python_schema=core_schema.no_info_wrap_validator_function(from_python, models),
            serialization=core_schema.plain_serializer_function_ser_schema(
                tuple, return_schema=handler.generate_schema(tuple[Operation, ...])
            ),
        )


_Operations = Annotated[
    Sequence[Operation], GetPydanticSchema(OperationList.__get_pydantic_core_schema__)
]
"""What ``ExecutionState.Operations`` holds: any sequence of operations, validated into an
``OperationList``."""


class ContextOptions(WireModel):
    """Options of a CONTEXT update."""

    ReplayChildren: bool | None = None


class StepOptions(WireModel):
    """Options of a STEP update: the delay before the next attempt."""

    NextAttemptDelaySeconds: Annotated[int, Field(ge=1, le=31_622_400)] | None = None


class WaitOptions(WireModel):
    """Options of a WAIT update: how long to wait."""

    WaitSeconds: Annotated[int, Field(ge=1, le=31_622_400)] | None = None


class CallbackOptions(WireModel):
    """Options of a CALLBACK update; 0 means no time-out."""

    TimeoutSeconds: Annotated[int, Field(ge=0, le=99_999_999)] | None = None
    HeartbeatTimeoutSeconds: Annotated[int, Field(ge=0, le=99_999_999)] | None = None


class ChainedInvokeOptions(WireModel):
    """Options of a CHAINED_INVOKE update: which function to invoke."""

    FunctionName: Annotated[str, Field(min_length=1, max_length=256)]
    TenantId: str | None = None
    XAmznTraceId: str | None = None


_ContextOptions = ContextOptions
_StepOptions = StepOptions
_WaitOptions = WaitOptions
_CallbackOptions = CallbackOptions
_ChainedInvokeOptions = ChainedInvokeOptions


class OperationUpdate(WireModel):
    """One change to an operation, sent in a checkpoint."""

    Id: Annotated[str, Field(min_length=1, max_length=64)]
    ParentId: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    Name: str | None = None
    Type: OperationType
    SubType: str | None = None
    Action: OperationAction
    Payload: str | None = None
    Error: ErrorObject | None = None
    ContextOptions: _ContextOptions | None = None
    StepOptions: _StepOptions | None = None
    WaitOptions: _WaitOptions | None = None
    CallbackOptions: _CallbackOptions | None = None
    ChainedInvokeOptions: _ChainedInvokeOptions | None = None


class ExecutionState(WireModel):
    """A page of operations, as in the invocation input and ``GetDurableExecutionState``.

    ``Operations`` is an ``OperationList``: read from the wire, it keeps each operation as the
    validated dict and builds the ``Operation`` when it is read.
    """

    Operations: _Operations = OperationList()
    NextMarker: str | None = None


class CheckpointResponse(WireModel):
    """The answer to ``CheckpointDurableExecution``: the next token and the changed operations."""

    CheckpointToken: str | None = None
    NewExecutionState: ExecutionState = ExecutionState()


class InvocationInput(WireModel):
    """The event Lambda hands a durable function on every invocation."""

    DurableExecutionArn: Annotated[str, Field(min_length=1)]
    CheckpointToken: Annotated[str, Field(min_length=1)]
    InitialExecutionState: ExecutionState


class InvocationOutput(WireModel):
    """What a durable function returns to Lambda at the end of an invocation."""

    Status: InvocationStatus
    Result: str | None = None
    Error: ErrorObject | None = None
