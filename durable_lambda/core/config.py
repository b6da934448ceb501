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

The configuration of map and parallel (``CompletionConfig``, ``ItemBatcher``, ``MapConfig``,
``ParallelConfig``, ``NestingType``) is in ``durable_lambda.core.batch_config``, the field types
the models share in ``durable_lambda.core.config_fields``; both are re-exported here.

Retry and wait strategies (``RetryStrategyConfig``, ``WaitStrategyConfig`` and their factories) live
in ``durable_lambda.core.retry``, which builds on ``ConfigModel`` and ``Duration``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pydantic import model_validator
from typing_extensions import TypeVar as TypingExtensionsTypeVar

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.config_fields import (
    AttemptTimeout,
    CallbackTimeout,
    SerDesField,
    SubTypeField,
)
from durable_lambda.core.duration import Duration
from durable_lambda.core.ports import SerDes

if TYPE_CHECKING:
    from durable_lambda.core.batch_config import (
        CompletionConfig,
        ItemBatcher,
        MapConfig,
        NestingType,
        ParallelConfig,
    )
    from durable_lambda.core.retry import RetryStrategy, WaitStrategy
else:
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
    "NestingType",
    "ParallelConfig",
    "StepConfig",
    "StepSemantics",
    "WaitForCallbackConfig",
    "WaitForConditionConfig",
]

# Map and parallel's configuration is re-exported on first access (PEP 562): a function that
# never calls them does not build its models at cold start.
_BATCH_NAMES = frozenset(
    ("CompletionConfig", "ItemBatcher", "MapConfig", "NestingType", "ParallelConfig")
)


def __getattr__(name: str) -> object:
    """Return map and parallel's configuration names from ``batch_config``, imported now."""
    if name not in _BATCH_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from durable_lambda.core import batch_config

    value = getattr(batch_config, name)
    globals()[name] = value
    return value


T = TypeVar("T")
# Defaults (PEP 696) so that a bare ``InvokeConfig(...)`` needs no annotation: Any, Any.
PayloadT = TypingExtensionsTypeVar("PayloadT", default=Any)
InvokeResultT = TypingExtensionsTypeVar("InvokeResultT", default=Any)


class StepSemantics(StrEnum):
    """How often one attempt of a step may run its body (same values as the official SDK).

    ``AT_LEAST_ONCE_PER_RETRY`` (the default) sends START without waiting, so an attempt cut short
    by a crash runs again on the next invocation. ``AT_MOST_ONCE_PER_RETRY`` waits until START is
    checkpointed before the body runs; an attempt found started but unfinished fails with
    ``StepInterruptedError`` and goes to the retry strategy instead of running again.
    """

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


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
    serdes: SerDesField = None
    sub_type: SubTypeField = None
    timeout: AttemptTimeout = None

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

    serdes: SerDesField = None
    sub_type: SubTypeField = None
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

    timeout: CallbackTimeout = Duration(0)
    heartbeat_timeout: CallbackTimeout = Duration(0)
    serdes: SerDesField = None
    sub_type: SubTypeField = None

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


class InvokeConfig(ConfigModel, Generic[PayloadT, InvokeResultT]):
    """How a chained invoke sends its payload and reads the result.

    The official SDK 3.0.0 has no invoke timeout, and the service's ``ChainedInvokeOptions``
    carry none, so neither does this model. Like the official SDK's, it is generic in the
    payload's type and the result's (``InvokeConfig[Order, Receipt](...)``); the parameters only
    type the two serializers, and a bare ``InvokeConfig(...)`` is the same configuration.

    Args:
        serdes_payload: Writes the payload sent; None means the default serializer.
        serdes_result: Reads the result; None means the default serializer.
        tenant_id: Scopes the invocation to a tenant; None for none.

    """

    serdes_payload: SerDesField = None
    serdes_result: SerDesField = None
    tenant_id: str | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            serdes_payload: SerDes[PayloadT] | None = None,
            serdes_result: SerDes[InvokeResultT] | None = None,
            tenant_id: str | None = None,
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
    serdes: SerDesField = None

    if TYPE_CHECKING:

        def __init__(
            self,
            wait_strategy: WaitStrategy[T],
            initial_state: T,
            serdes: SerDes[Any] | None = None,
        ) -> None: ...
