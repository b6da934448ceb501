"""Item groups: map items grouped so one iteration processes several (``MapConfig.item_batcher``).

The public names say "batch" (``ItemBatcher``, ``BatchedInput``, ``max_items_per_batch``), as
the Step Functions ``ItemBatcher`` they follow; inside the SDK a "batch" is a map or a parallel
(``BatchResult``), so what an ``ItemBatcher`` makes is called a group here.

Grouping is on when ``ItemBatcher.max_items_per_batch`` or ``max_item_bytes_per_batch`` is set.
Items are taken in order and a new group begins when the next item would pass either limit; an
item larger than the byte limit on its own forms a group by itself. An item's size is the length
in UTF-8 bytes of its payload as the execution's serializer writes it.

With groups, the map function is called once per group with a ``BatchedInput`` in place of an
item (and the group's index and the list of groups in place of the item's index and the items),
and the ``BatchResult`` holds one entry per group. The official AWS SDK 3.0.0 has no item
batcher; this follows the Step Functions ``ItemBatcher`` it was modelled on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from durable_lambda.core.config import ItemBatcher
from durable_lambda.core.errors import ValidationError

__all__ = ["BatchedInput", "group_items", "grouping_enabled"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BatchedInput(Generic[T]):
    """One group of map items, given to the map function in place of a single item.

    Attributes:
        items: The group's items, in their original order.
        batch_input: ``ItemBatcher.batch_input``, the same for every group.
        first_index: The index, in the original items, of the group's first item.
    """

    items: list[T]
    batch_input: Any
    first_index: int


def grouping_enabled(batcher: ItemBatcher) -> bool:
    """Whether ``batcher`` groups items at all.

    Raises:
        ValidationError: ``batch_input`` is set but no limit is, so nothing would be grouped.
    """
    enabled = batcher.max_items_per_batch > 0 or batcher.max_item_bytes_per_batch > 0
    if not enabled and batcher.batch_input is not None:
        raise ValidationError(
            "ItemBatcher.batch_input is set but neither max_items_per_batch nor "
            "max_item_bytes_per_batch is; set a limit to batch items",
            field="item_batcher",
        )
    return enabled


def group_items(
    items: Sequence[T], batcher: ItemBatcher, size_of: Callable[[T], int]
) -> list[BatchedInput[T]]:
    """Split ``items`` into groups by ``batcher``'s limits (see the module docstring).

    Args:
        items: The map's items.
        batcher: The limits and the input given with every group.
        size_of: The size of one item in bytes; called only when a byte limit is set.

    Returns:
        The groups, in order; none for no items.
    """
    max_items = batcher.max_items_per_batch
    max_bytes = batcher.max_item_bytes_per_batch
    groups: list[BatchedInput[T]] = []
    current: list[T] = []
    current_bytes = 0
    first = 0
    for index, item in enumerate(items):
        size = size_of(item) if max_bytes else 0
        full = (max_items and len(current) >= max_items) or (
            max_bytes and current_bytes + size > max_bytes
        )
        if current and full:
            groups.append(BatchedInput(current, batcher.batch_input, first))
            current, current_bytes, first = [], 0, index
        current.append(item)
        current_bytes += size
    if current:
        groups.append(BatchedInput(current, batcher.batch_input, first))
    return groups
