"""How a batch (a map or a parallel) runs: completion, item batching, concurrency, nesting.

Part of the configuration (``durable_lambda.core.config`` re-exports every name here and tells
how the models are built and validated).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import Field, model_validator

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.config_fields import Concurrency, SerDesField
from durable_lambda.core.errors import ValidationError

if TYPE_CHECKING:
    from durable_lambda.core.completion_rule import CompletionRule
    from durable_lambda.core.ports import SerDes
else:
    # Only the type checker needs the rule's signature; pydantic checks that it is callable.
    CompletionRule = Callable[..., object]

__all__ = ["CompletionConfig", "ItemBatcher", "MapConfig", "NestingType", "ParallelConfig"]


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

    max_concurrency: Concurrency = None
    completion_config: CompletionConfig = CompletionConfig()
    serdes: SerDesField = None
    item_serdes: SerDesField = None
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

    max_concurrency: Concurrency = None
    completion_config: CompletionConfig = CompletionConfig.all_successful()
    serdes: SerDesField = None
    item_serdes: SerDesField = None
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
