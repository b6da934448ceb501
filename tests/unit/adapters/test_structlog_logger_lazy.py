"""StructlogLogger defers structlog: imported by the first event, fields kept until then.

The deferred logger must log exactly what binding through structlog at once logs, whatever the
order of binds and events.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import structlog
from structlog.testing import capture_logs

from durable_lambda.adapters.logging.structlog_logger import StructlogLogger


def test_structlog_is_imported_by_the_first_event_only() -> None:
    code = (
        "import sys\n"
        "from durable_lambda.adapters.logging.structlog_logger import StructlogLogger\n"
        "logger = StructlogLogger().bind(execution_arn='arn').bind(operation_id='op-1')\n"
        "before = 'structlog' in sys.modules\n"
        "logger.info('hello')\n"
        "print(before, 'structlog' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True"]


def test_binds_around_the_first_event_log_what_eager_binding_logs() -> None:
    eager = structlog.get_logger()
    lazy = StructlogLogger()
    with capture_logs() as expected:
        first = eager.bind(a=1, b=2)
        first.info("one")
        first.bind(b=3, c=4).info("two", d=5)
        first.info("three")
        eager.info("four")
    with capture_logs() as events:
        bound = lazy.bind(a=1).bind(b=2)
        bound.info("one")
        bound.bind(b=3, c=4).info("two", d=5)
        bound.info("three")
        lazy.info("four")
    assert events == expected
    assert events[1] == {"a": 1, "b": 3, "c": 4, "d": 5, "event": "two", "log_level": "info"}


def test_a_child_bound_after_its_parent_logged_keeps_both_sets_of_fields() -> None:
    parent = StructlogLogger().bind(execution_arn="arn")
    with capture_logs() as events:
        parent.info("parent")
        child = parent.bind(operation_id="op-1")
        child.info("child")
        parent.info("parent again")
    assert [event.get("operation_id") for event in events] == [None, "op-1", None]
    assert all(event["execution_arn"] == "arn" for event in events)


def test_a_given_logger_receives_the_fields_at_the_first_event() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Recording:
        def __init__(self, context: dict[str, Any]) -> None:
            self.context = context

        def bind(self, **fields: Any) -> Recording:
            calls.append(("bind", fields))
            return Recording({**self.context, **fields})

        def info(self, event: str, **fields: Any) -> None:
            calls.append((event, {**self.context, **fields}))

        debug = warning = error = exception = info

    logger = StructlogLogger(Recording({"service": "orders"})).bind(a=1).bind(b=2)
    assert calls == []
    logger.info("event", c=3)
    logger.info("again")
    assert calls == [
        ("bind", {"a": 1, "b": 2}),
        ("event", {"service": "orders", "a": 1, "b": 2, "c": 3}),
        ("again", {"service": "orders", "a": 1, "b": 2}),
    ]


def test_threads_logging_first_at_once_all_carry_the_fields() -> None:
    logger = StructlogLogger().bind(execution_arn="arn", operation_id="op-1")
    barrier = threading.Barrier(8)

    def log(index: int) -> None:
        barrier.wait()
        logger.info("step", index=index)

    with capture_logs() as events:
        threads = [threading.Thread(target=log, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(events) == 8
    assert all(e["execution_arn"] == "arn" and e["operation_id"] == "op-1" for e in events)
