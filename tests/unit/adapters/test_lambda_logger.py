"""LambdaLogger: Lambda's JSON and text log formats, and the Lambda entry point's default logger."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.adapters.logging.lambda_logger import (
    LambdaLogFormat,
    LambdaLogger,
    lambda_log_format,
)
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.ports import Logger
from durable_lambda.core.replay_logging import ReplayAwareLogger

ROOT = Path(__file__).resolve().parents[3]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-1/abc"
JSON_INFO = LambdaLogFormat(json_format=True, level=20)
TEXT_INFO = LambdaLogFormat(json_format=False, level=20)


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_satisfies_the_port() -> None:
    logger = LambdaLogger(JSON_INFO, io.StringIO())
    assert isinstance(logger, Logger)
    assert isinstance(logger.bind(a=1), Logger)


def test_a_json_line_has_lambdas_keys_the_sdks_in_camel_case_and_the_users() -> None:
    out = io.StringIO()
    logger = (
        LambdaLogger(JSON_INFO, out)
        .bind(request_id="req-1", execution_arn=ARN)
        .bind(operation_id="op-2", operation_name="charge", parent_id="op-1", attempt=3)
        .bind(order_id="o-7")
    )

    logger.info("charged", amount=3)

    [line] = _lines(out)
    assert line == {
        "timestamp": line["timestamp"],
        "level": "INFO",
        "message": "charged",
        "requestId": "req-1",
        "executionArn": ARN,
        "operationId": "op-2",
        "operationName": "charge",
        "parentId": "op-1",
        "attempt": 3,
        "order_id": "o-7",
        "amount": 3,
    }
    assert list(line)[:4] == ["timestamp", "level", "message", "requestId"]
    stamp = line["timestamp"]
    assert stamp.endswith("Z")
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset() is not None


def test_unset_sdk_fields_are_left_out_and_reserved_user_keys_are_renamed() -> None:
    out = io.StringIO()
    LambdaLogger(JSON_INFO, out).bind(operation_name=None, parent_id=None).warning(
        "odd", message="mine", level="mine too", when=datetime(2026, 1, 1)
    )

    [line] = _lines(out)
    assert "operationName" not in line
    assert "parentId" not in line
    assert line["level"] == "WARN"
    assert line["message"] == "odd"
    assert line["field_message"] == "mine"
    assert line["field_level"] == "mine too"
    assert line["when"] == "2026-01-01 00:00:00"  # not JSON: written as text


def test_an_exception_adds_its_type_message_and_trace() -> None:
    out = io.StringIO()
    try:
        raise ValueError("card declined")
    except ValueError:
        LambdaLogger(JSON_INFO, out).exception("charge failed")

    [line] = _lines(out)
    assert line["level"] == "ERROR"
    assert line["errorType"] == "ValueError"
    assert line["errorMessage"] == "card declined"
    assert any("card declined" in frame for frame in line["stackTrace"])


def test_events_below_the_level_are_not_written() -> None:
    out = io.StringIO()
    logger = LambdaLogger(LambdaLogFormat(json_format=True, level=30), out)

    logger.debug("no")
    logger.info("no")
    logger.warning("yes")
    logger.error("yes")

    assert [line["level"] for line in _lines(out)] == ["WARN", "ERROR"]


def test_a_text_line_reads_as_lambdas_own() -> None:
    out = io.StringIO()
    LambdaLogger(TEXT_INFO, out).bind(request_id="req-1", operation_id="op-2").info(
        "charged", amount=3, note="two words"
    )

    level, stamp, request, rest = out.getvalue().rstrip("\n").split("\t", 3)
    assert (level, request) == ("[INFO]", "req-1")
    assert stamp.endswith("Z")
    assert rest == "charged\toperationId=op-2 amount=3 note=two words"


def test_a_text_trace_stays_on_one_line() -> None:
    out = io.StringIO()
    try:
        raise ValueError("boom")
    except ValueError:
        LambdaLogger(TEXT_INFO, out).exception("failed")

    assert out.getvalue().count("\n") == 1
    assert "ValueError: boom" in out.getvalue()


@pytest.mark.parametrize(
    ("environ", "json_format", "level"),
    [
        ({}, False, 20),
        ({"AWS_LAMBDA_LOG_FORMAT": "JSON"}, True, 20),
        ({"AWS_LAMBDA_LOG_FORMAT": "Text", "LOG_LEVEL": "debug"}, False, 10),
        ({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"}, True, 30),
        ({"AWS_LAMBDA_LOG_LEVEL": "ERROR", "LOG_LEVEL": "DEBUG"}, False, 40),
        ({"LOG_LEVEL": "TRACE"}, False, 5),
    ],
)
def test_the_format_and_level_come_from_the_environment(
    environ: dict[str, str], json_format: bool, level: int
) -> None:
    log_format = lambda_log_format(environ)

    assert (log_format.json_format, log_format.level) == (json_format, level)


def test_a_level_that_is_not_one_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="LOG_LEVEL='loud' is not a log level"):
        lambda_log_format({"LOG_LEVEL": "loud"})


def test_it_writes_to_the_stdout_of_the_moment(capsys: pytest.CaptureFixture[str]) -> None:
    LambdaLogger(JSON_INFO).info("to stdout")

    assert json.loads(capsys.readouterr().out)["message"] == "to stdout"


def test_it_can_be_wrapped_replay_aware() -> None:
    out = io.StringIO()
    replaying = True
    logger = ReplayAwareLogger(LambdaLogger(JSON_INFO, out), lambda: replaying)

    logger.info("replayed")
    replaying = False
    logger.bind(operation_id="op-1").info("new")

    assert [line["message"] for line in _lines(out)] == ["new"]


# -- under the Lambda entry point ---------------------------------------------------------

ENTRY_POINT = """
import json, sys
from durable_lambda import DurableContext, StepContext, durable_execution

class StandInClient:
    def checkpoint_durable_execution(self, **request):
        return {"CheckpointToken": "t1", "NewExecutionState": {}}

class LambdaContext:
    aws_request_id = "8f5e-request"

@durable_execution(client=StandInClient())
async def handler(event, ctx: DurableContext):
    def charge(step: StepContext) -> int:
        step.logger.info("charging card", amount=42)
        return 42
    ctx.logger.bind(order_id="o-1").info("order received")
    charged = await ctx.step(charge, name="charge")
    ctx.logger.debug("not at INFO")
    return charged

output = handler({
    "DurableExecutionArn": "ARN",
    "CheckpointToken": "t0",
    "InitialExecutionState": {"Operations": [{
        "Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1767225600000,
        "ExecutionDetails": {"InputPayload": "{}"},
    }]},
}, LambdaContext())
print(json.dumps({"output": output}), file=sys.stderr)
"""


def _run_entry_point(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: structlog unconfigured, as in a new Lambda sandbox.
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ENTRY_POINT).replace("ARN", ARN)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_handler_under_the_lambda_entry_point_writes_lambda_json_lines() -> None:
    ran = _run_entry_point({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})

    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stderr.splitlines()[-1])["output"]["Status"] == "SUCCEEDED"
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [line["message"] for line in lines] == ["order received", "charging card"]
    received, charging = lines
    for line in lines:
        assert {"timestamp", "level", "message", "requestId", "executionArn"} <= line.keys()
        assert line["requestId"] == "8f5e-request"
        assert line["executionArn"] == ARN
        assert line["level"] == "INFO"
    assert received["order_id"] == "o-1"
    assert {"operationId", "operationName", "attempt"} <= charging.keys()
    assert charging["operationName"] == "charge"
    assert charging["attempt"] == 1
    assert charging["amount"] == 42


def test_text_format_and_log_level_under_the_entry_point() -> None:
    ran = _run_entry_point({"LOG_LEVEL": "DEBUG"})

    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["[INFO]", "[INFO]", "[DEBUG]"]
    assert all(line.split("\t")[2] == "8f5e-request" for line in lines)
    assert lines[1].split("\t")[3] == "charging card"


def test_a_logger_the_application_chose_is_kept_and_given_the_request_id() -> None:
    from durable_lambda import durable_execution
    from durable_lambda.adapters.logging.capturing import CapturingLogger

    chosen = CapturingLogger()

    @durable_execution(logger=chosen)
    async def handler(event: Any, ctx: Any) -> None:
        return None

    class LambdaContext:
        aws_request_id = "req-9"

    logger = handler.lambda_logger(LambdaContext())
    logger.info("hello")

    assert chosen.records[0].fields == {"request_id": "req-9"}
