"""What a map or parallel returns: ``BatchResult``, one ``BatchItem`` per started branch.

A ``BatchResult`` is a value: it is checkpointed as the parent CONTEXT's payload and read back on
replay, so the first run and every replay see equal results. Its dict form is the official AWS
SDK's (``{"all": [{"index", "status", "result", "error"}], "completionReason"}``), so a result
stored by either SDK reads back in the other.

When the stored form would be too large for one checkpoint, the parent is stored with
``ReplayChildren`` and a small JSON summary instead (``batch_summary``).

The models are built on first use (``defer_build``), not at import: a map makes its items and
its result with ``new_item`` and ``new_result``, which set what validation would set without
needing a validator, so the first map of a process builds no schema for them. Reading a stored
result (replay) validates it, and builds them then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from durable_lambda.core.completion import BatchItemStatus, CompletionPolicy, CompletionReason
from durable_lambda.core.config import CompletionConfig
from durable_lambda.core.errors import ChildContextError, DurableOperationError, SerDesError
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.operations.concurrency import BranchState

if TYPE_CHECKING:
    from durable_lambda.core.operations.concurrency import BatchRun, BranchOutcome

__all__ = [
    "AnyBatchItem",
    "AnyBatchResult",
    "BatchCompletionError",
    "BatchItem",
    "BatchItemError",
    "BatchItemStatus",
    "BatchResult",
    "CompletionReason",
    "item_of",
    "new_item",
    "new_result",
    "result_of_run",
    "started_item",
]

R = TypeVar("R")


# An enum's .value is a descriptor call; a map's result writes one status per item.
_STATUS_TEXT = {status: status.value for status in BatchItemStatus}


# Built on first use: defining these models with their schemas cost a fresh process's first map
# about 3 ms, and a map that fails no item and fits its result in one checkpoint needs none.
_DEFERRED = ConfigDict(defer_build=True)


class BatchItemError(ErrorObject):
    """What a failed item failed with: the stored error, under the official SDK's names too.

    The official SDK's ``BatchResult.get_errors()`` gives objects with ``message``, ``type``,
    ``data`` and ``stack_trace``; these carry those, and the wire names (``ErrorMessage``,
    ``ErrorType``...) as well.

    Example:
        >>> error = BatchItemError(ErrorType="StepError", ErrorMessage="card declined")
        >>> error.type, error.message
        ('StepError', 'card declined')
    """

    model_config = _DEFERRED

    @property
    def message(self) -> str | None:
        """The error message (``ErrorMessage``)."""
        return self.ErrorMessage

    @property
    def type(self) -> str | None:
        """The error's type name (``ErrorType``)."""
        return self.ErrorType

    @property
    def data(self) -> str | None:
        """The error's machine-readable data (``ErrorData``)."""
        return self.ErrorData

    @property
    def stack_trace(self) -> list[str] | None:
        """The stack trace lines (``StackTrace``), as a list like the official SDK's."""
        return None if self.StackTrace is None else list(self.StackTrace)

    def __eq__(self, other: object) -> bool:
        # Equal to the ErrorObject it was made from: only the names differ.
        if not isinstance(other, ErrorObject):
            return NotImplemented
        return (
            self.ErrorType == other.ErrorType
            and self.ErrorMessage == other.ErrorMessage
            and self.ErrorData == other.ErrorData
            and self.StackTrace == other.StackTrace
        )

    def __hash__(self) -> int:
        return hash((self.ErrorType, self.ErrorMessage, self.ErrorData, self.StackTrace))

    @classmethod
    def of(cls, error: ErrorObject) -> BatchItemError:
        """Return ``error`` as a ``BatchItemError`` (itself if it is one)."""
        if isinstance(error, BatchItemError):
            return error
        return cls(
            ErrorType=error.ErrorType,
            ErrorMessage=error.ErrorMessage,
            ErrorData=error.ErrorData,
            StackTrace=error.StackTrace,
        )


class BatchCompletionError(DurableOperationError):
    """A batch was completed as failed by a custom completion decision, no item having failed.

    Only the official SDK's ``should_complete`` predicate makes such a decision; a result it
    stored raises this from ``throw_if_error()`` here too.
    """


class BatchItem(BaseModel, Generic[R]):
    """One started branch of a map or parallel.

    Attributes:
        index: The item's (or branch's) 0-based position.
        status: How it ended.
        result: What it returned, when it succeeded.
        error: What it failed with, when it failed.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)

    index: int
    status: BatchItemStatus
    result: R | None = None
    error: ErrorObject | None = None
    """A ``BatchItemError`` (an ``ErrorObject`` with the official SDK's names too)."""

    @field_validator("error", mode="after")
    @classmethod
    def _official_names(cls, error: ErrorObject | None) -> ErrorObject | None:
        return None if error is None else BatchItemError.of(error)

    def to_dict(self) -> dict[str, Any]:
        """Return the item in the official SDK's dict form."""
        return {
            "index": self.index,
            "status": _STATUS_TEXT[self.status],
            "result": self.result,
            "error": self.error.model_dump(mode="json", exclude_none=True) if self.error else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchItem[Any]:
        """Read an item from its dict form (as ``to_dict`` or the official SDK writes it)."""
        error = data.get("error")
        return AnyBatchItem(
            index=data["index"],
            status=BatchItemStatus(data["status"]),
            result=data.get("result"),
            error=ErrorObject.model_validate(error) if error else None,
        )


class BatchResult(BaseModel, Generic[R]):
    """The outcome of a map or parallel: every started branch, in index order, and the reason.

    Branches never started (the batch completed first) are not listed. A map or parallel returns
    a ``BatchResult`` even when failures exceeded the tolerance; call ``throw_if_error()`` to turn
    a failed item into an exception.

    Attributes:
        all: Every started branch, by index.
        completion_reason: Why the batch stopped.

    Example:
        >>> result = await ctx.map(orders, charge, config=MapConfig(max_concurrency=5))
        >>> result.throw_if_error()
        >>> receipts = result.get_results()
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)

    all: list[BatchItem[R]]
    completion_reason: CompletionReason = Field(serialization_alias="completionReason")

    def succeeded(self) -> list[BatchItem[R]]:
        """Return the items that succeeded."""
        return [item for item in self.all if item.status is BatchItemStatus.SUCCEEDED]

    def failed(self) -> list[BatchItem[R]]:
        """Return the items that failed."""
        return [item for item in self.all if item.status is BatchItemStatus.FAILED]

    def started(self) -> list[BatchItem[R]]:
        """Return the items that were still running when the batch completed."""
        return [item for item in self.all if item.status is BatchItemStatus.STARTED]

    def get_results(self) -> list[R]:
        """Return the results of the items that succeeded, in index order."""
        return [cast(R, item.result) for item in self.succeeded()]

    def get_errors(self) -> list[BatchItemError | None]:
        """Return the errors of the items that failed, in index order.

        Each has the official SDK's ``message``, ``type``, ``data`` and ``stack_trace`` (and
        the wire names); None for a failed item stored without an error.
        """
        return [cast(BatchItemError | None, item.error) for item in self.failed()]

    def throw_if_error(self) -> None:
        """Raise the first failed item's error, if any item failed.

        Raises:
            ChildContextError: an item failed; it carries that item's error type, message, data
                and stack trace.
            BatchCompletionError: no item failed, but a custom completion decision (the
                official SDK's ``should_complete``) completed the batch as failed.
        """
        first = next(iter(self.failed()), None)
        if first is not None:
            raise ChildContextError.from_error_object(first.error)
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            raise BatchCompletionError(
                "Batch completed as failed by should_complete (CUSTOM_COMPLETION_FAILED)"
            )

    @property
    def status(self) -> BatchItemStatus:
        """``FAILED`` if any item failed, else ``SUCCEEDED``."""
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            return BatchItemStatus.FAILED
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED:
            return BatchItemStatus.SUCCEEDED
        return BatchItemStatus.FAILED if self.has_failure else BatchItemStatus.SUCCEEDED

    @property
    def has_failure(self) -> bool:
        """Whether any item failed."""
        return any(item.status is BatchItemStatus.FAILED for item in self.all)

    @property
    def success_count(self) -> int:
        """How many items succeeded."""
        return len(self.succeeded())

    @property
    def failure_count(self) -> int:
        """How many items failed."""
        return len(self.failed())

    @property
    def started_count(self) -> int:
        """How many items were still running when the batch completed."""
        return len(self.started())

    @property
    def total_count(self) -> int:
        """How many items were started (never-started ones are not counted)."""
        return len(self.all)

    def to_dict(self) -> dict[str, Any]:
        """Return the result in the official SDK's dict form (results are left as they are)."""
        return {
            "all": [item.to_dict() for item in self.all],
            "completionReason": self.completion_reason.value,
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], completion_config: CompletionConfig | None = None
    ) -> BatchResult[Any]:
        """Read a result from its dict form.

        Args:
            data: What ``to_dict`` (or the official SDK) wrote.
            completion_config: Infers the reason when ``data`` has none (old records).

        Raises:
            SerDesError: ``data`` is not a batch result.
        """
        try:
            rows = [_stored_item(row) for row in data["all"]]
            reason = data.get("completionReason")
            # Every item validated in one call (as BatchItem.from_dict reads each), several
            # times faster than one call per item; a missing reason is inferred afterwards.
            stored_reason = CompletionReason.ALL_COMPLETED if reason is None else reason
            result = AnyBatchResult.model_validate(
                {"all": rows, "completion_reason": stored_reason}
            )
            if reason is None:
                return BatchResult.from_items(result.all, completion_config)
            return result
        except (KeyError, TypeError, ValueError) as error:
            raise SerDesError(f"the stored value is not a batch result: {error!r}") from error

    @classmethod
    def from_items(
        cls, items: list[BatchItem[Any]], completion_config: CompletionConfig | None = None
    ) -> BatchResult[Any]:
        """Build a result from its items, inferring the reason as ``completion_config`` would.

        Exact only when ``items`` lists every branch of the batch.
        """
        policy = CompletionPolicy.from_config(len(items), completion_config)
        succeeded = sum(1 for item in items if item.status is BatchItemStatus.SUCCEEDED)
        failed = sum(1 for item in items if item.status is BatchItemStatus.FAILED)
        # A custom completion rule is asked about the items as stored.
        statuses = None
        if policy.should_complete is not None:
            from durable_lambda.core.completion_rule import CompletionItemStatus

            statuses = [
                CompletionItemStatus(item.index, None, item.status, item.result, item.error)
                for item in items
            ]
        reason = policy.reason(succeeded, failed, items=statuses)
        return AnyBatchResult(all=items, completion_reason=reason)


# The models themselves, not ``BatchItem[Any]`` and ``BatchResult[Any]``: pydantic validates
# and serializes an unparametrized generic model as if parametrized with ``Any`` (its items are
# ``BatchItem`` instances), and making the two parametrized classes cost a fresh process's first
# map about 1 ms. The names stay for the code that reads and makes batch results.
AnyBatchItem: type[BatchItem[Any]] = BatchItem
"""The class of every item a map or parallel makes or reads back (``BatchItem``)."""
AnyBatchResult: type[BatchResult[Any]] = BatchResult
"""The class of every result a map or parallel makes or reads back (``BatchResult``)."""

_set = object.__setattr__


def _constructed(model: type[BaseModel], fields: dict[str, Any], given: set[str]) -> Any:
    # What validating ``given`` of ``fields`` leaves on an instance (pydantic's own
    # ``model_construct`` sets the same four attributes, at three times the cost): every field's
    # value in ``__dict__``, the fields given, and no extra or private values. For values the
    # SDK made itself, already of their fields' types; a test compares both ways' instances.
    instance = model.__new__(model)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", given)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def new_item(
    index: int,
    status: BatchItemStatus,
    result: Any = None,
    error: ErrorObject | None = None,
) -> BatchItem[Any]:
    """Return the item ``AnyBatchItem(index=..., status=..., ...)`` makes, without validating.

    ``result`` is given for a ``SUCCEEDED`` item, ``error`` for a ``FAILED`` one, as a map
    makes them; the error is kept as a ``BatchItemError``, as validation converts it.
    """
    if status is BatchItemStatus.SUCCEEDED:
        given = {"index", "status", "result"}
    elif status is BatchItemStatus.FAILED:
        given = {"index", "status", "error"}
        if error is not None:
            error = BatchItemError.of(error)
    else:
        given = {"index", "status"}
    fields = {"index": index, "status": status, "result": result, "error": error}
    item: BatchItem[Any] = _constructed(AnyBatchItem, fields, given)
    return item


def new_result(items: list[BatchItem[Any]], reason: CompletionReason) -> BatchResult[Any]:
    """Return ``AnyBatchResult(all=items, completion_reason=reason)`` without validating.

    ``items`` must be ``AnyBatchItem`` instances (``new_item`` makes them), as validation would
    leave them.
    """
    fields = {"all": items, "completion_reason": reason}
    result: BatchResult[Any] = _constructed(AnyBatchResult, fields, {"all", "completion_reason"})
    return result


def _stored_item(row: dict[str, Any]) -> dict[str, Any]:
    """Return an item's dict form as ``BatchItem.from_dict`` reads it: a falsy error is none."""
    error = row.get("error")
    if error is None or error:
        return row
    return {**row, "error": None}


def result_of_run(run: BatchRun) -> BatchResult[Any]:
    """Return the result of a batch run: one item per started branch, in index order.

    A started branch with no outcome (abandoned when the batch completed) is ``STARTED``.
    """
    items: list[BatchItem[Any]] = []
    for index in range(run.started):
        outcome = run.outcomes.get(index)
        items.append(item_of(outcome) if outcome else started_item(index))
    return new_result(items, run.reason)


def item_of(outcome: BranchOutcome) -> BatchItem[Any]:
    """Return the result's item for one branch's outcome (``STARTED`` if it was suspended)."""
    if outcome.state is BranchState.SUCCEEDED:
        return new_item(outcome.index, BatchItemStatus.SUCCEEDED, outcome.result)
    if outcome.state is BranchState.FAILED:
        return new_item(outcome.index, BatchItemStatus.FAILED, error=outcome.error)
    return started_item(outcome.index)


def started_item(index: int) -> BatchItem[Any]:
    """Return the item of a branch started but not finished when its batch completed."""
    return new_item(index, BatchItemStatus.STARTED)
