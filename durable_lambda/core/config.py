"""Configuration of durable operations: frozen, validated value objects.

Names, fields and defaults follow the official AWS Python SDK (``aws_durable_execution_sdk_python``
3.0.0) so that code written for it reads the same here. Every model is a frozen pydantic model built
on ``ConfigModel`` (see ``durable_lambda.core.config_base``); a bad value raises
``durable_lambda.core.errors.ValidationError`` naming the model, the field and the rule, e.g.
``MapConfig.max_concurrency: Input should be greater than or equal to 1 (got 0)``. Construct the
models with keyword arguments, or positionally in the official SDK's order
(``StepConfig(strategy)``, ``CallbackConfig(Duration.from_hours(1))``); fields the official SDK
makes keyword-only (``sub_type``) and fields of ours it lacks (``MapConfig.item_batcher``) are
keyword-only here too. ``model_validate`` is validated the same way. ``model_copy(update=...)``
skips validation: use ``replace(...)`` for a changed copy. ``ConfigModel`` and ``Duration`` are
importable from here too.

Retry and wait strategies (``RetryStrategyConfig``, ``WaitStrategyConfig`` and their factories) live
in ``durable_lambda.core.retry``, which builds on ``ConfigModel`` and ``Duration``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Generic, Self, TypeVar

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.duration import Duration
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.ports import SerDes

if TYPE_CHECKING:
    from durable_lambda.core.completion_rule import CompletionRule
    from durable_lambda.core.retry import RetryStrategy, WaitStrategy
else:
    CompletionRule = Callable[..., object]
    # retry.py is a floor below the operations' configs and is not imported at run time:
    # pydantic only needs to know that these fields hold callables; the precise signatures are
    # for the type checker.
    _T = TypeVar("_T")
    RetryStrategy = Callable[..., object]
    WaitStrategy = Callable[[_T, int], object]

__all__ = [
    "CallbackConfig",
    "CheckpointMode",
    "ChildConfig",
    "CompletionConfig",
    "ConfigModel",
    "Duration",
    "InvokeConfig",
    "ItemBatcher",
    "MapConfig",
    "ParallelConfig",
    "StepConfig",
    "StepSemantics",
    "WaitForCallbackConfig",
    "WaitForConditionConfig",
]

T = TypeVar("T")

# The service's limit on CallbackOptions.TimeoutSeconds / HeartbeatTimeoutSeconds.
_MAX_CALLBACK_TIMEOUT_SECONDS = 99_999_999
_SUB_TYPE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


class StepSemantics(StrEnum):
    """How often one attempt of a step may run its body (same values as the official SDK).

    ``AT_LEAST_ONCE_PER_RETRY`` (the default) sends START without waiting, so an attempt cut short
    by a crash runs again on the next invocation. ``AT_MOST_ONCE_PER_RETRY`` waits until START is
    checkpointed before the body runs; an attempt found started but unfinished fails with
    ``StepInterruptedError`` and goes to the retry strategy instead of running again.
    """

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


class NestingType(StrEnum):
    """How map iterations and parallel branches appear in the execution's history.

    ``NESTED`` (the default): each iteration or branch is a child CONTEXT operation of its own,
    checkpointed with its result. ``FLAT``: iterations run in virtual contexts that checkpoint
    nothing themselves; their operations sit directly under the map or parallel CONTEXT, and on
    replay an unfinished batch re-runs each iteration, whose operations replay from their own
    checkpoints. Fewer checkpoints, at the price of replaying iteration bodies.
    """

    NESTED = "NESTED"
    FLAT = "FLAT"


class CheckpointMode(StrEnum):
    """When queued operation updates are sent to the service; ``BATCHED`` is the default.

    * ``EAGER``: a blocking checkpoint after every operation; simplest to reason about, slowest.
    * ``BATCHED``: a background flusher sends updates in batches; the code blocks only where the
      semantics require it (an at-most-once step's START, suspension, completion).
    * ``OPTIMISTIC``: run ahead and flush only at suspension, completion, when a batch is full
      and before an at-most-once step's body; fewest calls, most work repeated after a crash.
    """

    EAGER = "EAGER"
    BATCHED = "BATCHED"
    OPTIMISTIC = "OPTIMISTIC"


def _check_sub_type(value: str | None) -> str | None:
    """Apply the service's subtype rule; an empty string means the default, like None."""
    if not value:
        return None
    if not _SUB_TYPE_PATTERN.fullmatch(value):
        raise ValueError("must be 1 to 32 characters from A-Z, a-z, 0-9, '-' and '_'")
    return value


def _check_serdes(value: object) -> object:
    """Accept None or anything shaped like a SerDes (serialize and deserialize methods)."""
    if value is None:
        return None
    for method in ("serialize", "deserialize"):
        if not callable(getattr(value, method, None)):
            raise ValueError(
                "must be a SerDes with serialize(value, ctx) and deserialize(payload, ctx) "
                f"methods; {type(value).__name__} has no {method}()"
            )
    return value


def _check_attempt_timeout(value: Duration | timedelta | None) -> Duration | timedelta | None:
    """Refuse a step time-out that is not positive (None means no time-out)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value.seconds
    if not seconds > 0:
        raise ValueError("must be longer than 0 seconds (None for no time-out)")
    return value


def _check_callback_timeout(value: Duration) -> Duration:
    """Reject a timeout the service would refuse."""
    if value.seconds > _MAX_CALLBACK_TIMEOUT_SECONDS:
        raise ValueError(f"must be at most {_MAX_CALLBACK_TIMEOUT_SECONDS} seconds")
    return value


# The serializer port is checked by its shape, with a message naming the missing method.
_SerDesField = Annotated[SerDes[Any] | None, PlainValidator(_check_serdes)]
_SubTypeField = Annotated[str | None, AfterValidator(_check_sub_type)]
_Concurrency = Annotated[int, Field(ge=1)] | None
_CallbackTimeout = Annotated[Duration, AfterValidator(_check_callback_timeout)]
_AttemptTimeout = Annotated[Duration | timedelta | None, AfterValidator(_check_attempt_timeout)]


class StepConfig(ConfigModel):
    """How a step runs, retries and stores its result.

    Args:
        retry_strategy: Decides whether and when a failed attempt runs again; None means
            ``RetryPresets.default()`` (6 attempts, 5 s doubling to at most 60 s, full jitter).
        step_semantics: See ``StepSemantics``; ``AT_LEAST_ONCE_PER_RETRY`` by default.
        serdes: Stores the result; None means the execution's default serializer.
        sub_type: The subtype recorded for the step (1-32 of ``A-Za-z0-9-_``); None or ``""``
            means ``Step``. Changing it breaks replay of executions in flight.
        timeout: The longest one attempt may run (a ``Duration``, or a ``timedelta`` for less
            than a second); None (the default) for no limit. An attempt that runs longer fails
            with ``StepTimeoutError`` and goes through the retry strategy. Keyword-only (the
            official SDK has no such field).

    """

    keyword_only = frozenset({"sub_type", "timeout"})

    retry_strategy: RetryStrategy | None = None
    step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY
    serdes: _SerDesField = None
    sub_type: _SubTypeField = None
    timeout: _AttemptTimeout = None

    if TYPE_CHECKING:

        def __init__(
            self,
            retry_strategy: RetryStrategy | None = None,
            step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY,
            serdes: SerDes[Any] | None = None,
            *,
            sub_type: str | None = None,
            timeout: Duration | timedelta | None = None,
        ) -> None: ...

    @property
    def timeout_seconds(self) -> float | None:
        """The attempt time-out in seconds; None for none."""
        timeout = self.timeout
        if timeout is None:
            return None
        return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout.seconds)


class ChildConfig(ConfigModel):
    """How a child context stores its result.

    Args:
        serdes: Stores the result; None means the execution's default serializer.
        sub_type: The subtype recorded for the context; None or ``""`` means
            ``RunInChildContext``.
        summary_generator: For a result too large to checkpoint (over 256 KiB): returns the text
            stored instead, and the children are replayed to rebuild the result. None stores an
            empty summary.
        is_virtual: Checkpoint nothing for the context itself: its operations are recorded
            under this context's parent, and it runs again on every replay (FLAT nesting).
        replay_children: Never store the result: the context is checkpointed with
            ``ContextOptions.ReplayChildren`` and the summary (``summary_generator``'s text, or
            empty), and every replay runs the function again to rebuild the result from its
            children's checkpoints (no child body runs twice). For a result that is large,
            or that no serializer can write; keyword-only.

    """

    keyword_only = frozenset({"replay_children"})

    serdes: _SerDesField = None
    sub_type: _SubTypeField = None
    summary_generator: Callable[[Any], str] | None = None
    is_virtual: bool = False
    replay_children: bool = False

    if TYPE_CHECKING:

        def __init__(
            self,
            serdes: SerDes[Any] | None = None,
            sub_type: str | None = None,
            summary_generator: Callable[[Any], str] | None = None,
            is_virtual: bool = False,
            *,
            replay_children: bool = False,
        ) -> None: ...

    @model_validator(mode="after")
    def _replay_needs_a_record(self) -> Self:
        """Refuse ``replay_children`` on a virtual context, which has no record to flag."""
        if self.replay_children and self.is_virtual:
            raise ValueError(
                "replay_children needs a checkpointed context; a virtual one (is_virtual=True) "
                "always runs again on replay"
            )
        return self


class CallbackConfig(ConfigModel):
    """How long a callback may take, and how its result is read.

    Args:
        timeout: How long to wait for the answer; ``Duration(0)`` (the default) means no limit.
        heartbeat_timeout: The longest gap allowed between heartbeats; ``Duration(0)`` means none.
        serdes: Reads the answer; None means the execution's default serializer (JSON is
            decoded; the official SDK returns the raw text instead, which
            ``PassThroughSerDes()`` reproduces).
        sub_type: The subtype recorded for the callback; None or ``""`` means ``Callback``.

    """

    keyword_only = frozenset({"sub_type"})

    timeout: _CallbackTimeout = Duration(0)
    heartbeat_timeout: _CallbackTimeout = Duration(0)
    serdes: _SerDesField = None
    sub_type: _SubTypeField = None

    if TYPE_CHECKING:

        def __init__(
            self,
            timeout: Duration = ...,
            heartbeat_timeout: Duration = ...,
            serdes: SerDes[Any] | None = None,
            *,
            sub_type: str | None = None,
        ) -> None: ...

    @property
    def timeout_seconds(self) -> int:
        """The timeout in seconds (0: none)."""
        return self.timeout.seconds

    @property
    def heartbeat_timeout_seconds(self) -> int:
        """The heartbeat timeout in seconds (0: none)."""
        return self.heartbeat_timeout.seconds


class WaitForCallbackConfig(CallbackConfig):
    """``CallbackConfig`` plus the retry strategy of the step that runs the submitter.

    Args:
        retry_strategy: Retries the submitter step; None means ``RetryPresets.default()``.

    """

    retry_strategy: RetryStrategy | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            timeout: Duration = ...,
            heartbeat_timeout: Duration = ...,
            serdes: SerDes[Any] | None = None,
            retry_strategy: RetryStrategy | None = None,
            *,
            sub_type: str | None = None,
        ) -> None: ...


class InvokeConfig(ConfigModel):
    """How a chained invoke sends its payload and reads the result.

    The official SDK 3.0.0 has no invoke timeout, and the service's ``ChainedInvokeOptions``
    carry none, so neither does this model.

    Args:
        serdes_payload: Writes the payload sent; None means the default serializer.
        serdes_result: Reads the result; None means the default serializer.
        tenant_id: Scopes the invocation to a tenant; None for none.

    """

    serdes_payload: _SerDesField = None
    serdes_result: _SerDesField = None
    tenant_id: str | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            serdes_payload: SerDes[Any] | None = None,
            serdes_result: SerDes[Any] | None = None,
            tenant_id: str | None = None,
        ) -> None: ...


class CompletionConfig(ConfigModel):
    """When a map or parallel finishes, and whether it counts as success.

    The batch completes when ``min_successful`` items succeeded, when failures pass a tolerated
    limit, or when every item finished. With every field None (the default) the first failure
    ends the batch (fail fast).

    Args:
        min_successful: Successes that complete the batch early; at least 1; None for no target.
        tolerated_failure_count: Failures tolerated; more end the batch as failed; at least 0.
        tolerated_failure_percentage: Percentage of failures tolerated, 0 to 100.
        should_complete: A custom completion rule in place of the three thresholds (the
            official SDK's predicate): ``(CompletionStatus) -> CompletionDecision``, returning
            ``continue_batch()`` or ``complete_batch(outcome)``. It sees the counts and each
            item's status, name, result and error; it must be deterministic and monotonic (see
            ``durable_lambda.core.completion``).

    Raises:
        ValidationError: for a value out of range, a ``should_complete`` that is not callable,
            or one given with a threshold.

    """

    min_successful: Annotated[int, Field(ge=1)] | None = None
    tolerated_failure_count: Annotated[int, Field(ge=0)] | None = None
    tolerated_failure_percentage: Annotated[float, Field(ge=0, le=100)] | None = None
    should_complete: CompletionRule | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            min_successful: int | None = None,
            tolerated_failure_count: int | None = None,
            tolerated_failure_percentage: float | None = None,
            should_complete: CompletionRule | None = None,
        ) -> None: ...

    @model_validator(mode="after")
    def _rule_alone(self) -> Self:
        """Refuse a custom completion rule given beside a threshold (as the official SDK does)."""
        if self.should_complete is not None and (
            self.min_successful is not None
            or self.tolerated_failure_count is not None
            or self.tolerated_failure_percentage is not None
        ):
            raise ValueError(
                "should_complete cannot be combined with min_successful, "
                "tolerated_failure_count or tolerated_failure_percentage"
            )
        return self

    @classmethod
    def first_successful(cls) -> CompletionConfig:
        """Complete at the first success (``min_successful=1``)."""
        return cls(min_successful=1)

    @classmethod
    def all_completed(cls) -> CompletionConfig:
        """Run every item whatever fails (``tolerated_failure_percentage=100``)."""
        return cls(tolerated_failure_percentage=100)

    @classmethod
    def all_successful(cls) -> CompletionConfig:
        """Require every item to succeed (no failure tolerated, by count or percentage)."""
        return cls(tolerated_failure_count=0, tolerated_failure_percentage=0)

    def check_total(self, total: int) -> None:
        """Check the config against the number of items it governs.

        Raises:
            ValidationError: when ``min_successful`` exceeds ``total``.

        """
        if self.min_successful is not None and self.min_successful > total:
            raise ValidationError(
                f"CompletionConfig.min_successful: cannot exceed the number of items "
                f"({self.min_successful} > {total})",
                field="min_successful",
            )


class ItemBatcher(ConfigModel):
    """How map items are grouped into batches (0 means no limit).

    The official SDK had this model (same fields and defaults) before 3.0.0 dropped it.

    Args:
        max_items_per_batch: Most items in one batch; 0 (default) for no limit.
        max_item_bytes_per_batch: Most bytes of items in one batch; 0 (default) for no limit.
        batch_input: Extra data given with every batch; None by default.

    """

    max_items_per_batch: Annotated[int, Field(ge=0)] = 0
    max_item_bytes_per_batch: Annotated[int, Field(ge=0)] = 0
    batch_input: object | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            max_items_per_batch: int = 0,
            max_item_bytes_per_batch: int = 0,
            batch_input: object | None = None,
        ) -> None: ...


class MapConfig(ConfigModel):
    """How a map runs its items.

    Args:
        max_concurrency: Most items running at once (at least 1); None for no limit.
        item_batcher: How items are batched; ``ItemBatcher()`` (no batching) by default.
        completion_config: When the map completes; ``CompletionConfig()`` by default, which
            fails fast: the first failed item fails the map.
        serdes: Stores the whole BatchResult; when ``item_serdes`` is None it also stores each
            item's result. None means the default serializer.
        item_serdes: Stores each item's result.
        summary_generator: Text stored instead of a result too large to checkpoint.
        nesting_type: ``NESTED`` (a CONTEXT per iteration) or ``FLAT`` (virtual iterations).
        item_namer: ``(item, index) -> name`` for each iteration's context; None means
            ``map-item-{index}``. Called on every replay, so it must be deterministic.

    The positional order is the official SDK's; ``item_batcher`` (which it dropped in 3.0.0)
    is keyword-only.

    """

    keyword_only = frozenset({"item_batcher"})

    max_concurrency: _Concurrency = None
    completion_config: CompletionConfig = CompletionConfig()
    serdes: _SerDesField = None
    item_serdes: _SerDesField = None
    summary_generator: Callable[[Any], str] | None = None
    nesting_type: NestingType = NestingType.NESTED
    item_namer: Callable[[Any, int], str] | None = None
    item_batcher: ItemBatcher = ItemBatcher()

    if TYPE_CHECKING:

        def __init__(
            self,
            max_concurrency: int | None = None,
            completion_config: CompletionConfig = ...,
            serdes: SerDes[Any] | None = None,
            item_serdes: SerDes[Any] | None = None,
            summary_generator: Callable[[Any], str] | None = None,
            nesting_type: NestingType = NestingType.NESTED,
            item_namer: Callable[[Any, int], str] | None = None,
            *,
            item_batcher: ItemBatcher = ...,
        ) -> None: ...


class ParallelConfig(ConfigModel):
    """How a parallel runs its branches.

    Args:
        max_concurrency: Most branches running at once (at least 1); None for no limit.
        completion_config: When the parallel completes; ``CompletionConfig.all_successful()`` by
            default: every branch must succeed.
        serdes: Stores the whole BatchResult (and each branch's result when ``item_serdes`` is
            None); None means the default serializer.
        item_serdes: Stores each branch's result.
        summary_generator: Text stored instead of a result too large to checkpoint.
        nesting_type: ``NESTED`` (a CONTEXT per branch) or ``FLAT`` (virtual branches).

    """

    max_concurrency: _Concurrency = None
    completion_config: CompletionConfig = CompletionConfig.all_successful()
    serdes: _SerDesField = None
    item_serdes: _SerDesField = None
    summary_generator: Callable[[Any], str] | None = None
    nesting_type: NestingType = NestingType.NESTED

    if TYPE_CHECKING:

        def __init__(
            self,
            max_concurrency: int | None = None,
            completion_config: CompletionConfig = ...,
            serdes: SerDes[Any] | None = None,
            item_serdes: SerDes[Any] | None = None,
            summary_generator: Callable[[Any], str] | None = None,
            nesting_type: NestingType = NestingType.NESTED,
        ) -> None: ...


class WaitForConditionConfig(ConfigModel, Generic[T]):
    """How ``wait_for_condition`` polls.

    Args:
        wait_strategy: Called after each check with ``(state, attempts_made)``; decides whether to
            poll again and after how long (see ``durable_lambda.core.retry.create_wait_strategy``).
        initial_state: The state given to the first check; it goes through ``serdes`` first, so
            it must be serializable.
        serdes: Stores the state at each checkpoint; None means the default serializer.

    """

    wait_strategy: WaitStrategy[T]
    initial_state: T
    serdes: _SerDesField = None

    if TYPE_CHECKING:

        def __init__(
            self,
            wait_strategy: WaitStrategy[T],
            initial_state: T,
            serdes: SerDes[Any] | None = None,
        ) -> None: ...
