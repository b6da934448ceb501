"""The logger port's pure implementations: NullLogger, ReplayAwareLogger, CapturingLogger."""

from __future__ import annotations

import pytest

from durable_lambda.adapters.logging.capturing import CapturedLog, CapturingLogger
from durable_lambda.core.ports import Logger
from durable_lambda.core.replay_logging import NullLogger, ReplayAwareLogger

LEVELS = ["debug", "info", "warning", "error", "exception"]


class Replay:
    """A switchable replay flag, as the execution state would report it."""

    def __init__(self, replaying: bool) -> None:
        self.replaying = replaying
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.replaying


@pytest.mark.parametrize(
    "logger",
    [NullLogger(), CapturingLogger(), ReplayAwareLogger(NullLogger(), lambda: False)],
    ids=["null", "capturing", "replay-aware"],
)
def test_each_logger_satisfies_the_port(logger: Logger) -> None:
    assert isinstance(logger, Logger)
    assert isinstance(logger.bind(operation_id="op-1"), Logger)


def test_null_logger_binds_to_itself() -> None:
    logger = NullLogger()
    assert logger.bind(operation_id="op-1") is logger
    for level in LEVELS:
        getattr(logger, level)("dropped", amount=1)


# --- CapturingLogger ---------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_capturing_logger_records_level_event_and_fields(level: str) -> None:
    logger = CapturingLogger()

    getattr(logger, level)("charged", amount=3)

    assert logger.records == [CapturedLog(level, "charged", {"amount": 3})]
    assert logger.records[0] == (level, "charged", {"amount": 3})  # a plain tuple too


def test_capturing_logger_merges_bound_fields_and_the_call_wins() -> None:
    root = CapturingLogger()
    execution = root.bind(execution_arn="arn-1", attempt=1)
    step = execution.bind(operation_id="op-1", parent_id=None)

    step.info("charged", attempt=2, amount=3)
    execution.warning("slow")

    assert root.records == [
        CapturedLog(
            "info",
            "charged",
            {
                "execution_arn": "arn-1",
                "attempt": 2,
                "operation_id": "op-1",
                "parent_id": None,
                "amount": 3,
            },
        ),
        CapturedLog("warning", "slow", {"execution_arn": "arn-1", "attempt": 1}),
    ]


def test_binding_does_not_change_the_parent() -> None:
    root = CapturingLogger()
    root.bind(operation_id="op-1")

    root.info("plain")

    assert root.records == [CapturedLog("info", "plain", {})]


def test_capturing_logger_lists_and_clears_events() -> None:
    root = CapturingLogger()
    child = root.bind(operation_id="op-1")
    root.info("a")
    child.error("b")
    child.info("c")

    assert root.events() == ["a", "b", "c"]
    assert root.events("info") == ["a", "c"]
    assert child.events("error") == ["b"]

    child.clear()
    assert root.records == []


def test_capturing_logger_can_record_into_a_given_list() -> None:
    records: list[CapturedLog] = []
    CapturingLogger(records).info("kept")
    assert records == [CapturedLog("info", "kept", {})]


# --- ReplayAwareLogger -------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_replay_aware_logger_drops_events_while_replaying(level: str) -> None:
    captured = CapturingLogger()
    logger = ReplayAwareLogger(captured, Replay(True))

    getattr(logger, level)("replayed")

    assert captured.records == []


@pytest.mark.parametrize("level", LEVELS)
def test_replay_aware_logger_forwards_events_when_not_replaying(level: str) -> None:
    captured = CapturingLogger()
    logger = ReplayAwareLogger(captured, Replay(False))

    getattr(logger, level)("new", amount=3)

    assert captured.records == [CapturedLog(level, "new", {"amount": 3})]


def test_the_predicate_is_asked_at_every_event() -> None:
    captured = CapturingLogger()
    replay = Replay(True)
    logger = ReplayAwareLogger(captured, replay)

    logger.info("before the last checkpoint")
    replay.replaying = False
    logger.info("new code")

    assert captured.events() == ["new code"]
    assert replay.asked == 2


def test_log_during_replay_forwards_everything() -> None:
    captured = CapturingLogger()
    logger = ReplayAwareLogger(captured, Replay(True), log_during_replay=True)

    logger.info("replayed")

    assert captured.events() == ["replayed"]


def test_bind_keeps_the_predicate_and_binds_the_inner_logger() -> None:
    captured = CapturingLogger()
    replay = Replay(True)
    logger = ReplayAwareLogger(captured, replay).bind(operation_id="op-1")

    logger.info("replayed")
    replay.replaying = False
    logger.info("new")

    assert isinstance(logger, ReplayAwareLogger)
    assert captured.records == [CapturedLog("info", "new", {"operation_id": "op-1"})]
    assert isinstance(logger.inner, CapturingLogger)


def test_bind_keeps_log_during_replay() -> None:
    captured = CapturingLogger()
    logger = ReplayAwareLogger(captured, Replay(True), log_during_replay=True).bind(attempt=2)

    logger.debug("replayed")

    assert captured.records == [CapturedLog("debug", "replayed", {"attempt": 2})]


def test_binding_log_during_replay_switches_replay_logging_for_that_logger_only() -> None:
    captured = CapturingLogger()
    quiet = ReplayAwareLogger(captured, Replay(True))
    loud = quiet.bind(log_during_replay=True, operation_id="op-1")

    quiet.info("dropped")
    loud.info("kept")
    loud.bind(log_during_replay=False).info("dropped again")
    loud.bind(attempt=2).info("inherited")

    assert captured.records == [
        CapturedLog("info", "kept", {"operation_id": "op-1"}),
        CapturedLog("info", "inherited", {"operation_id": "op-1", "attempt": 2}),
    ]


def test_at_keeps_the_fields_and_answers_to_another_predicate() -> None:
    captured = CapturingLogger()
    replaying = ReplayAwareLogger(captured, Replay(True)).bind(parent_id="c-1")
    moved = replaying.at(Replay(False))

    replaying.info("dropped")
    moved.info("kept")

    assert captured.records == [CapturedLog("info", "kept", {"parent_id": "c-1"})]


def test_a_live_logger_is_never_silenced() -> None:
    captured = CapturingLogger()
    replay = Replay(True)
    live = ReplayAwareLogger(captured, replay).live().bind(attempt=1)

    live.warning("a step body's line")

    assert captured.events() == ["a step body's line"]
    assert replay.asked == 0
