"""Pages of state found by position: what a page costs, and that pages hold what they held.

``GetDurableExecutionState`` answers a marker with the page that starts at that position among
every operation; reading every page of an execution must be linear in its operations, so a page
may only look at the operations it holds and the hidden ones it passes over. The reference
below is the rule as the service documents it (every operation in order, less the descendants of
a completed context that does not replay its children), written as plainly as possible.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from service_builders import NOW, A, T, checkpoint, update

from durable_lambda.core.errors import CheckpointError, ValidationError
from durable_lambda.core.model import ContextOptions, Operation, OperationStatus, OperationType
from durable_lambda.service import execution_arn, start_execution, state_page
from durable_lambda.service.record import ExecutionRecord

ARN = execution_arn("fn", "run", "e1")


class CountingOperations(dict[str, Operation]):
    """The operations of a record, counting every operation read out of them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads = 0

    def __getitem__(self, key: str) -> Operation:
        self.reads += 1
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)

    def values(self) -> Any:
        self.reads += len(self)
        return super().values()

    def items(self) -> Any:
        self.reads += len(self)
        return super().items()


def started() -> ExecutionRecord:
    return start_execution(ARN, "fn", '"in"', NOW)


def with_steps(count: int) -> ExecutionRecord:
    record = started()
    for first in range(0, count, 200):
        ids = range(first, min(first + 200, count))
        checkpoint(record, *(update(f"s{i}", T.STEP, A.START) for i in ids))
    return record


def reference(record: ExecutionRecord) -> list[str]:
    """The ids every page together must hold, in order (the documented rule)."""

    def hidden(operation: Operation) -> bool:
        parent_id = operation.ParentId
        while parent_id is not None:
            parent = record.operations[parent_id]
            if (
                parent.Type is OperationType.CONTEXT
                and parent.Status in (OperationStatus.SUCCEEDED, OperationStatus.FAILED)
                and not (parent.ContextDetails and parent.ContextDetails.ReplayChildren)
            ):
                return True
            parent_id = parent.ParentId
        return False

    return [op.Id for op in record.operations.values() if not hidden(op)]


def every_page(record: ExecutionRecord, size: int) -> tuple[list[str], list[str]]:
    """The ids of every page, in order, and the markers that led to them."""
    ids: list[str] = []
    markers: list[str] = []
    marker: str | None = None
    while True:
        page = state_page(record, marker, size)
        assert len(page.Operations) <= size
        ids += [op.Id for op in page.Operations]
        if page.NextMarker is None:
            return ids, markers
        assert page.Operations, "a page that is not the last must hold something"
        marker = page.NextMarker
        markers.append(marker)


def test_a_page_reads_only_the_operations_it_holds() -> None:
    record = with_steps(5_000)
    operations = CountingOperations(record.operations)
    record.operations = operations
    first = state_page(record, None, 100)  # also learns the order of the ids, once
    assert first.NextMarker == "100"

    operations.reads = 0
    page = state_page(record, "2500", 100)

    assert [op.Id for op in page.Operations] == [f"s{i}" for i in range(2499, 2599)]
    assert page.NextMarker == "2600"
    # Each operation of the page, and the one that starts the next page; no scan of the rest.
    assert operations.reads <= 101


def test_reading_every_page_is_linear_in_the_operations() -> None:
    record = with_steps(5_000)
    operations = CountingOperations(record.operations)
    record.operations = operations

    ids, markers = every_page(record, 100)

    assert ids == list(record.operations)
    assert len(markers) == 50
    assert operations.reads <= 2 * len(operations)


def test_new_operations_join_the_pages_after_the_ones_read_before() -> None:
    record = with_steps(10)
    assert every_page(record, 4)[0] == reference(record)

    checkpoint(record, update("late", T.STEP, A.START))
    with pytest.raises(CheckpointError):  # refused: the operations it added are taken back
        checkpoint(record, update("gone", T.STEP, A.START), update("s0", T.WAIT, A.START))
    checkpoint(record, update("later", T.STEP, A.START))

    assert every_page(record, 4)[0] == reference(record)
    assert every_page(record, 4)[0][-2:] == ["late", "later"]
    copy = record.snapshot()
    checkpoint(copy, update("copied", T.STEP, A.START))
    record.replace_with(copy)
    assert every_page(record, 5)[0] == reference(record) == list(copy.operations)


def random_tree(seed: int) -> ExecutionRecord:
    """An execution of nested contexts and steps, some contexts completed, some replaying."""
    rng = random.Random(seed)
    record = started()
    contexts: list[str | None] = [None]
    open_contexts: list[str] = []
    for n in range(rng.randint(5, 120)):
        parent = rng.choice(contexts)
        fields: dict[str, Any] = {} if parent is None else {"ParentId": parent}
        if rng.random() < 0.3:
            checkpoint(record, update(f"c{n}", T.CONTEXT, A.START, **fields))
            contexts.append(f"c{n}")
            open_contexts.append(f"c{n}")
        else:
            checkpoint(record, update(f"s{n}", T.STEP, A.START, **fields))
        if open_contexts and rng.random() < 0.15:
            done = open_contexts.pop(rng.randrange(len(open_contexts)))
            contexts.remove(done)
            replay = ContextOptions(ReplayChildren=True) if rng.random() < 0.3 else None
            action = A.SUCCEED if rng.random() < 0.8 else A.FAIL
            checkpoint(record, update(done, T.CONTEXT, action, ContextOptions=replay))
    return record


@pytest.mark.parametrize("seed", range(40))
def test_pages_leave_out_what_a_completed_context_stands_for(seed: int) -> None:
    record = random_tree(seed)
    expected = reference(record)

    for size in (1, 3, 7, 1_000):
        ids, markers = every_page(record, size)
        assert ids == expected
        # Any marker given may be asked for again, and gives the same rest.
        for marker in markers:
            rest: list[str] = []
            next_marker: str | None = marker
            while next_marker is not None:
                page = state_page(record, next_marker, size)
                rest += [op.Id for op in page.Operations]
                next_marker = page.NextMarker
            assert expected[-len(rest) :] == rest


@pytest.mark.parametrize("marker", ["x", "-1", "99999", "1.5", "²", "1" * 40, " 1"])
def test_a_marker_that_is_no_position_is_refused(marker: str) -> None:
    with pytest.raises(ValidationError, match="invalid marker"):
        state_page(with_steps(2), marker, 10)
