"""Grouping map items into batches, each processed by one iteration (``MapConfig.item_batcher``).

Batching is on when ``ItemBatcher.max_items_per_batch`` or ``max_item_bytes_per_batch`` is set.
Items are taken in order and a new batch begins when the next item would pass either limit; an
item larger than the byte limit on its own forms a batch by itself. An item's size is the length
in UTF-8 bytes of its payload as the execution's serializer writes it.

With batching, the map function is called once per batch with a ``BatchedInput`` in place of an
item (and the batch's index and the list of batches in place of the item's index and the items),
and the ``BatchResult`` holds one entry per batch. The official AWS SDK 3.0.0 has no item
batcher; this follows the Step Functions ``ItemBatcher`` it was modelled on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from durable_lambda.core.config import ItemBatcher
from durable_lambda.core.errors import ValidationError

__all__ = ["BatchedInput", "batch_items", "batching_enabled"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BatchedInput(Generic[T]):
    """One batch of map items, given to the map function in place of a single item.

    Attributes:
        items: The batch's items, in their original order.
        batch_input: ``ItemBatcher.batch_input``, the same for every batch.
        first_index: The index, in the original items, of the batch's first item.
    """

    items: list[T]
    batch_input: Any
    first_index: int


def batching_enabled(batcher: ItemBatcher) -> bool:
    """Whether ``batcher`` groups items at all.

    Raises:
        ValidationError: ``batch_input`` is set but no limit is, so nothing would be batched.
    """
    enabled = batcher.max_items_per_batch > 0 or batcher.max_item_bytes_per_batch > 0
    if not enabled and batcher.batch_input is not None:
        raise ValidationError(
            "ItemBatcher.batch_input is set but neither max_items_per_batch nor "
            "max_item_bytes_per_batch is; set a limit to batch items",
            field="item_batcher",
        )
    return enabled


def batch_items(
    items: Sequence[T], batcher: ItemBatcher, size_of: Callable[[T], int]
) -> list[BatchedInput[T]]:
    """Split ``items`` into batches by ``batcher``'s limits (see the module docstring).

    Args:
        items: The map's items.
        batcher: The limits and the batch input.
        size_of: The size of one item in bytes; called only when a byte limit is set.

    Returns:
        The batches, in order; none for no items.
    """
    max_items = batcher.max_items_per_batch
    max_bytes = batcher.max_item_bytes_per_batch
    batches: list[BatchedInput[T]] = []
    current: list[T] = []
    current_bytes = 0
    first = 0
    for index, item in enumerate(items):
        size = size_of(item) if max_bytes else 0
        full = (max_items and len(current) >= max_items) or (
            max_bytes and current_bytes + size > max_bytes
        )
        if current and full:
            batches.append(BatchedInput(current, batcher.batch_input, first))
            current, current_bytes, first = [], 0, index
        current.append(item)
        current_bytes += size
    if current:
        batches.append(BatchedInput(current, batcher.batch_input, first))
    return batches
