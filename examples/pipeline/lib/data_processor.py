"""The pipeline's business logic: plain, deterministic functions, each run inside a durable step.

Nothing here knows about durability; the handler decides what is checkpointed. Every function is
deterministic in its input (no clock, no randomness), so a retried or replayed step computes the
same thing.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal, TypedDict

Status = Literal["pending", "processing", "completed"]


class WorkItem(TypedDict):
    """One unit of work derived from the pipeline's input."""

    id: str
    data: str
    priority: int
    status: Status


class InvalidInputError(ValueError):
    """The pipeline's input does not have the documented shape."""


def create_work_items(workflow_id: str, items: list[str]) -> list[WorkItem]:
    """Turn the raw input strings into work items, in input order.

    The id is stable for a given workflow and position; the priority (1 = highest, 3 = lowest)
    is derived from the content, so the same input always yields the same items.

    Raises:
        InvalidInputError: ``items`` is not a list of strings.
    """
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidInputError("inputData.items must be a list of strings")
    return [
        WorkItem(
            id=f"{workflow_id}-{index:04d}",
            data=data,
            priority=_priority(data),
            status="pending",
        )
        for index, data in enumerate(items)
    ]


def _priority(data: str) -> int:
    digest = hashlib.sha256(data.encode()).digest()
    return digest[0] % 3 + 1


def validate_stream(items: list[WorkItem]) -> dict[str, Any]:
    """Work stream 1: check every item's data; report the invalid ones."""
    invalid = [item["id"] for item in items if not item["data"].strip()]
    return {"stream": "validate", "checked": len(items), "invalid": invalid}


def enrich_stream(items: list[WorkItem]) -> dict[str, Any]:
    """Work stream 2: attach derived attributes to every item.

    Raises:
        ValueError: an item asks for a failure (its data contains ``"fail"``), to show that one
            failing stream does not lose the others' results.
    """
    for item in items:
        if "fail" in item["data"]:
            raise ValueError(f"enrichment refused item {item['id']}: {item['data']!r}")
    return {
        "stream": "enrich",
        "enriched": {item["id"]: {"length": len(item["data"])} for item in items},
    }


def score_stream(items: list[WorkItem]) -> dict[str, Any]:
    """Work stream 3: a score per priority bucket."""
    buckets: dict[str, int] = {}
    for item in items:
        key = f"p{item['priority']}"
        buckets[key] = buckets.get(key, 0) + 1
    return {"stream": "score", "buckets": dict(sorted(buckets.items()))}


def process_item(item: WorkItem, approval: dict[str, Any]) -> WorkItem:
    """Process one work item; the approval's settings decide how."""
    transformed = item["data"].upper() if approval.get("uppercase", True) else item["data"]
    return WorkItem(id=item["id"], data=transformed, priority=item["priority"], status="completed")


def aggregate(
    *,
    workflow_id: str,
    items: list[WorkItem],
    parallel_results: dict[str, Any],
    map_results: list[WorkItem],
    total_duration: float,
    checkpoint_count: int,
) -> dict[str, Any]:
    """Build the pipeline's final report."""
    return {
        "workflowId": workflow_id,
        "processedItems": len(items),
        "parallelResults": parallel_results,
        "mapResults": map_results,
        "totalDuration": round(total_duration, 3),
        "checkpointCount": checkpoint_count,
    }
