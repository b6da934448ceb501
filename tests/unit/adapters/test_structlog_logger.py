"""The logging adapters: StructlogLogger (with configure_default_logging) and StdlibLogger.

StdlibLogger's tests live here too, next to the structlog ones, because both adapters answer the
same port and are checked the same way.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest
import structlog
from structlog.testing import capture_logs

from durable_lambda.adapters.logging.stdlib_logger import StdlibLogger
from durable_lambda.adapters.logging.structlog_logger import (
    StructlogLogger,
    configure_default_logging,
)
from durable_lambda.core.ports import Logger
from durable_lambda.core.replay_logging import ReplayAwareLogger

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/abc"
SDK_FIELDS = {"execution_arn": ARN, "operation_id": "op-2", "parent_id": "op-1", "attempt": 3}


# --- StructlogLogger ---------------------------------------------------------------------


def test_structlog_logger_satisfies_the_port() -> None:
    assert isinstance(StructlogLogger(), Logger)
    assert isinstance(StructlogLogger().bind(a=1), Logger)


def test_fields_bound_by_the_sdk_appear_on_the_users_event() -> None:
    logger = (
        StructlogLogger()
        .bind(execution_arn=ARN)
        .bind(operation_id="op-2", parent_id="op-1", attempt=3)
    )

    with capture_logs() as events:
        logger.info("charged", amount=3)

    assert events == [{**SDK_FIELDS, "amount": 3, "event": "charged", "log_level": "info"}]


@pytest.mark.parametrize(
    ("method", "level"),
    [("debug", "debug"), ("info", "info"), ("warning", "warning"), ("error", "error")],
)
def test_each_method_logs_at_its_level(method: str, level: str) -> None:
    with capture_logs() as events:
        getattr(StructlogLogger(), method)("happened", n=1)

    assert events == [{"event": "happened", "n": 1, "log_level": level}]


def test_exception_logs_an_error_with_the_exception() -> None:
    with capture_logs() as events:
        try:
            raise ValueError("card declined")
        except ValueError:
            StructlogLogger().exception("charge failed")

    assert events == [{"event": "charge failed", "exc_info": True, "log_level": "error"}]


def test_bind_leaves_the_parent_unchanged() -> None:
    parent = StructlogLogger()
    parent.bind(operation_id="op-1")

    with capture_logs() as events:
        parent.info("plain")

    assert events == [{"event": "plain", "log_level": "info"}]


def test_a_given_structlog_logger_is_used_with_its_context() -> None:
    logger = StructlogLogger(structlog.get_logger().bind(service="orders"))

    with capture_logs() as events:
        logger.bind(attempt=1).warning("slow")

    assert events == [{"service": "orders", "attempt": 1, "event": "slow", "log_level": "warning"}]


def test_replay_aware_structlog_logger_stays_silent_while_replaying() -> None:
    replaying = True
    logger = ReplayAwareLogger(StructlogLogger(), lambda: replaying).bind(**SDK_FIELDS)

    with capture_logs() as events:
        logger.info("replayed")
        replaying = False
        logger.info("new")

    assert [event["event"] for event in events] == ["new"]
    assert events[0]["operation_id"] == "op-2"


def test_importing_the_adapter_leaves_structlog_unconfigured() -> None:
    code = (
        "import structlog, durable_lambda.adapters.logging.structlog_logger; "
        "print(structlog.is_configured())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


# --- configure_default_logging -----------------------------------------------------------


@pytest.fixture
def restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.mark.usefixtures("restore_structlog")
def test_default_configuration_writes_one_json_object_per_line() -> None:
    stream = io.StringIO()
    configure_default_logging(stream=stream)
    logger = StructlogLogger().bind(**SDK_FIELDS)

    logger.debug("too detailed")
    logger.info("charged", amount=3)
    logger.warning("slow", note="line one\nline two")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["event"] == "charged"
    assert first["level"] == "info"
    assert first["amount"] == 3
    assert {key: first[key] for key in SDK_FIELDS} == SDK_FIELDS
    assert datetime.fromisoformat(first["timestamp"]).utcoffset() is not None
    assert second["level"] == "warning"
    assert second["note"] == "line one\nline two"


@pytest.mark.usefixtures("restore_structlog")
def test_default_configuration_renders_exceptions_as_structured_data() -> None:
    stream = io.StringIO()
    configure_default_logging("debug", stream=stream)

    try:
        raise ValueError("card declined")
    except ValueError:
        StructlogLogger().exception("charge failed")
    StructlogLogger().debug("details")

    failure, details = (json.loads(line) for line in stream.getvalue().splitlines())
    assert failure["level"] == "error"
    assert failure["exception"][0]["exc_type"] == "ValueError"
    assert failure["exception"][0]["exc_value"] == "card declined"
    assert details["level"] == "debug"


@pytest.mark.usefixtures("restore_structlog")
def test_default_configuration_merges_context_variables() -> None:
    stream = io.StringIO()
    configure_default_logging(stream=stream)

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        StructlogLogger().info("handled")

    assert json.loads(stream.getvalue())["request_id"] == "req-1"


# --- StdlibLogger ------------------------------------------------------------------------

STDLIB_NAME = "durable_lambda.tests.stdlib"


def test_stdlib_logger_satisfies_the_port() -> None:
    assert isinstance(StdlibLogger(), Logger)
    assert StdlibLogger().logger.name == "durable_lambda"


def test_stdlib_logger_passes_fields_as_extra(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=STDLIB_NAME)
    logger = StdlibLogger(logging.getLogger(STDLIB_NAME)).bind(**SDK_FIELDS)

    logger.info("charged", amount=3)

    (record,) = caplog.records
    assert record.getMessage() == "charged"
    assert record.levelno == logging.INFO
    assert {key: getattr(record, key) for key in SDK_FIELDS} == SDK_FIELDS
    assert record.__dict__["amount"] == 3
    # The record points at the code that logged, not at the adapter.
    assert record.funcName == "test_stdlib_logger_passes_fields_as_extra"


@pytest.mark.parametrize(
    ("method", "level"),
    [
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("warning", logging.WARNING),
        ("error", logging.ERROR),
    ],
)
def test_stdlib_logger_levels(caplog: pytest.LogCaptureFixture, method: str, level: int) -> None:
    caplog.set_level(logging.DEBUG, logger=STDLIB_NAME)

    getattr(StdlibLogger(logging.getLogger(STDLIB_NAME)), method)("happened")

    assert [(r.levelno, r.getMessage(), r.exc_info) for r in caplog.records] == [
        (level, "happened", None)
    ]


def test_stdlib_logger_exception_carries_exc_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=STDLIB_NAME)

    try:
        raise ValueError("card declined")
    except ValueError:
        StdlibLogger(logging.getLogger(STDLIB_NAME)).exception("charge failed")

    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError


def test_stdlib_logger_renames_fields_a_log_record_reserves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=STDLIB_NAME)

    StdlibLogger(logging.getLogger(STDLIB_NAME)).bind(name="charge").info("x", module="billing")

    (record,) = caplog.records
    assert record.name == STDLIB_NAME
    assert record.__dict__["field_name"] == "charge"
    assert record.__dict__["field_module"] == "billing"


def test_stdlib_logger_skips_disabled_levels(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=STDLIB_NAME)
    logger = StdlibLogger(logging.getLogger(STDLIB_NAME))

    logger.info("quiet")
    logger.warning("loud")

    assert [record.getMessage() for record in caplog.records] == ["loud"]


def test_stdlib_bind_leaves_the_parent_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=STDLIB_NAME)
    parent = StdlibLogger(logging.getLogger(STDLIB_NAME))
    parent.bind(operation_id="op-1")

    parent.info("plain")

    assert not hasattr(caplog.records[0], "operation_id")
