"""One requirement, run end to end: invoke, poll, answer callbacks, match history, result, logs."""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml  # type: ignore[import-untyped, import-not-found, unused-ignore]  # PyYAML: see docs
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conformance.harness.matching import (
    CallbackAction,
    HistoryMatcher,
    LogValidator,
    MatchResult,
    PlaceholderContext,
    regex_pattern,
)
from conformance.harness.services import CREDS, REGION

__all__ = ["TERMINAL", "Harness", "Outcome", "say", "status_from_events"]

POLL_INTERVAL_S = 2.0  # the requirements' own runner polls the history this often ...
NO_PROGRESS_TIMEOUT_S = 30.0  # ... and gives up after this long without a new event
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "STOPPED"}
TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionCancelled": "CANCELLED",
    "ExecutionStopped": "STOPPED",
}
_CLIENT_ERRORS = (ClientError, BotoCoreError)
_print_lock = threading.Lock()


def say(msg: str = "") -> None:
    """Print one line at once, whichever thread prints it."""
    with _print_lock:
        print(msg, flush=True)


@dataclass
class Outcome:
    """What became of one requirement."""

    rid: str
    suite: str
    status: str  # PASSED | FAILED | ERROR | UNCOVERED | NOT_IMPLEMENTED
    reason: str = ""
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    function: str = ""
    arn: str | None = None
    optional: bool = False


def status_from_events(events: list[dict[str, Any]]) -> str | None:
    """The execution's terminal status, if the history has reached one."""
    for event in reversed(events):
        status = TERMINAL_EVENTS.get(event.get("EventType", ""))
        if status:
            return status
    return None


class Harness:
    """Runs requirements against a Lambda shim and reads what happened from the emulator."""

    def __init__(
        self, args: argparse.Namespace, emu_url: str, shim_url: str, log_file: Path, work: Path
    ) -> None:
        self.args = args
        self.log_file = log_file
        self.history_dir = work / "history"
        self.shim: Any = boto3.client(
            "lambda",
            endpoint_url=shim_url,
            region_name=REGION,
            config=Config(
                connect_timeout=5, read_timeout=args.cap + 30, retries={"max_attempts": 0}
            ),
            aws_access_key_id=CREDS["aws_access_key_id"],
            aws_secret_access_key=CREDS["aws_secret_access_key"],
        )
        self.emu: Any = boto3.client(
            "lambda",
            endpoint_url=emu_url,
            region_name=REGION,
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
                max_pool_connections=max(10, args.jobs * 3),
            ),
            aws_access_key_id=CREDS["aws_access_key_id"],
            aws_secret_access_key=CREDS["aws_secret_access_key"],
        )

    # -- API helpers -------------------------------------------------------------------
    def history(self, arn: str) -> list[dict[str, Any]] | None:
        """All history events, following ``NextMarker`` (the emulator pages at 100 events)."""
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
        for _ in range(100):
            try:
                page = self.emu.get_durable_execution_history(**request)
            except _CLIENT_ERRORS as exc:
                say(f"  warning: GetDurableExecutionHistory failed for {arn}: {exc}")
                return None
            events.extend(page.get("Events", []))
            if not page.get("NextMarker"):
                break
            request["Marker"] = page["NextMarker"]
        return events

    def check_result(
        self, arn: str, expected: dict[str, Any], ctx: PlaceholderContext
    ) -> list[str]:
        """Compare ``ExpectedResult`` with GetDurableExecution's status and result."""
        try:
            execution = self.emu.get_durable_execution(DurableExecutionArn=arn)
        except _CLIENT_ERRORS as exc:
            return [f"Failed to retrieve durable execution details: {exc}"]
        status = execution.get("Status")
        want = expected.get("ExecutionStatus")
        if want and status != want:
            err = execution.get("Error") or {}
            extra = f" (error {err.get('ErrorType')}: {str(err.get('ErrorMessage'))[:160]})"
            return [f"Expected ExecutionStatus={want!r}, got {status!r}{extra if err else ''}"]
        if status != "SUCCEEDED" or "Result" not in expected:
            return []
        raw = execution.get("Result")
        actual: Any = None
        if raw is not None:
            try:
                actual = json.loads(raw)
            except (TypeError, ValueError):
                actual = raw
        wanted = ctx.substitute(expected.get("Result"))
        return [] if actual == wanted else [f"Expected Result={wanted!r}, got {actual!r}"]

    def send_callback(
        self, callback_id: str, action: CallbackAction, ctx: PlaceholderContext
    ) -> None:
        """Answer a callback through the emulator's callback API."""
        payload = ctx.substitute(action.payload)
        request: dict[str, Any] = {"CallbackId": callback_id}
        if action.operation == "success":
            if payload is not None:
                request["Result"] = json.dumps(payload).encode("utf-8")
            self.emu.send_durable_execution_callback_success(**request)
        elif action.operation == "failure":
            if payload is not None:
                if not isinstance(payload, dict):
                    raise ValueError(f"failure payload must be a mapping, got {payload!r}")
                fields = ("ErrorType", "ErrorMessage", "ErrorData", "StackTrace")
                error = {k: payload[k] for k in fields if k in payload}
                if error:
                    request["Error"] = error
            self.emu.send_durable_execution_callback_failure(**request)
        else:
            self.emu.send_durable_execution_callback_heartbeat(**request)

    def logs_for(self, function: str, arn: str) -> list[dict[str, Any]]:
        """The function's JSON log lines that carry this execution's ARN, as CloudWatch events."""
        events: list[dict[str, Any]] = []
        try:
            lines = self.log_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return events
        for raw in lines:
            record = _json_object(raw)
            if record is None or record.get("function") != function:
                continue
            line = str(record.get("line", ""))
            body = _json_object(line.strip())  # CloudWatch's JSON filter sees JSON records only
            if body is not None and arn in (
                body.get("durableExecutionArn"),
                body.get("executionArn"),
            ):
                events.append(
                    {"message": line, "timestamp": record["ts"], "ingestionTime": record["seq"]}
                )
        return events

    # -- main flow ---------------------------------------------------------------------
    def run(self, rid: str, suite: str, path: Path, function: str) -> Outcome:
        """Run one requirement; a harness failure is an ``ERROR`` outcome, never an exception."""
        started = time.monotonic()
        out = Outcome(rid, suite, "ERROR", function=function)
        try:
            self._run(out, path, started)
        except Exception as exc:  # a harness bug must not stop the run
            out.status, out.reason = "ERROR", f"harness exception {type(exc).__name__}: {exc}"
        out.seconds = time.monotonic() - started
        return out

    def _run(self, out: Outcome, path: Path, started: float) -> None:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.optional = bool(data.get("optional", False))
        ctx = PlaceholderContext()
        ctx.resolve_variables(data.get("Variables"))
        try:
            actions = [CallbackAction.from_dict(raw) for raw in data.get("CallbackActions") or []]
        except ValueError as exc:
            out.status, out.reason = "FAILED", f"Invalid CallbackAction: {exc}"
            return
        is_async = bool(data.get("AsyncInvoke", False))
        try:
            response = self.shim.invoke(
                FunctionName=out.function,
                InvocationType="Event" if is_async else "RequestResponse",
                Qualifier="$LATEST",
                Payload=json.dumps(ctx.substitute(data.get("Input"))).encode("utf-8"),
            )
            body = response["Payload"].read() if "Payload" in response else b""
        except _CLIENT_ERRORS as exc:
            out.status, out.reason = "ERROR", f"Invoke failed: {exc}"
            return
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        arn = response.get("DurableExecutionArn") or headers.get("x-amz-durable-execution-arn")
        if not arn:
            out.status, out.reason = "ERROR", f"No DurableExecutionArn in reply ({body[:200]!r})"
            return
        out.arn = arn
        events: list[dict[str, Any]] | None = None
        try:
            if is_async:
                errors, events = self._poll(arn, ctx, actions, started, data)
            else:
                events = self.history(arn)
                if events is None:
                    out.status, out.reason = "ERROR", "Failed to retrieve execution history"
                    return
                errors = self._check_final(arn, ctx, events, data)
            if not errors and data.get("ExpectedLogs"):
                time.sleep(0.3)  # let the shim's log pumps catch up
                logs = self.logs_for(out.function, arn)
                errors = LogValidator().validate(data["ExpectedLogs"], logs, context=ctx).errors
        finally:
            self._cleanup(arn, events, out.rid)
        if errors:
            out.status, out.errors = "FAILED", errors
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            out.reason = errors[0] + more
        else:
            out.status = "PASSED"

    def _check_final(
        self, arn: str, ctx: PlaceholderContext, events: list[dict[str, Any]], data: dict[str, Any]
    ) -> list[str]:
        expected_events = data.get("ExpectedExecutionHistory") or []
        if not expected_events:
            return ["No ExpectedExecutionHistory found in description file"]
        errors = self.match(ctx, expected_events, events).errors
        if not errors and data.get("ExpectedResult"):
            errors = self.check_result(arn, data["ExpectedResult"], ctx)
        return errors

    def match(
        self, ctx: PlaceholderContext, expected: list[dict[str, Any]], events: list[dict[str, Any]]
    ) -> MatchResult:
        """Match expected history events against ``events``."""
        return HistoryMatcher(context=ctx).match(expected, events)

    def _poll(
        self,
        arn: str,
        ctx: PlaceholderContext,
        actions: list[CallbackAction],
        started: float,
        data: dict[str, Any],
    ) -> tuple[list[str], list[dict[str, Any]] | None]:
        config = data.get("AsyncConfig") or {}
        interval = float(
            config.get("PollIntervalSeconds", self.args.poll_interval or POLL_INTERVAL_S)
        )
        no_progress = float(config.get("NoProgressTimeoutSeconds", NO_PROGRESS_TIMEOUT_S))
        expected_events = data.get("ExpectedExecutionHistory") or []
        expected_result = data.get("ExpectedResult")
        deadline = started + self.args.cap
        answered: _Answered = _Answered()
        last_count, last_progress = 0, time.monotonic()
        errors: list[str] = []
        events: list[dict[str, Any]] | None = []
        while True:
            time.sleep(interval)
            if time.monotonic() >= deadline:
                errors.append(f"harness cap reached: not finished after {self.args.cap:.0f}s")
                break
            events = self.history(arn)
            if events is None:
                return ["Failed to retrieve execution history during polling"], None
            if status_from_events(events) in TERMINAL:
                break
            if len(events) > last_count:
                last_count, last_progress = len(events), time.monotonic()
            elif time.monotonic() - last_progress >= no_progress:
                idle = time.monotonic() - last_progress
                errors.append(f"No new events for {idle:.1f}s (timeout: {no_progress}s)")
                break
            errors += self._answer_callbacks(events, actions, answered, ctx, deadline)
            history_only = expected_result is None and expected_events
            if history_only and self.match(ctx, expected_events, events).success:
                return [], events
        if expected_events and events is not None:
            result = self.match(ctx, expected_events, events)
            if not result.success:
                return errors + result.errors, events
        if expected_result:
            errors += self.check_result(arn, expected_result, ctx)
        return errors, events

    def _answer_callbacks(
        self,
        events: list[dict[str, Any]],
        actions: list[CallbackAction],
        answered: _Answered,
        ctx: PlaceholderContext,
        deadline: float,
    ) -> list[str]:
        errors: list[str] = []
        for event in events:
            if event.get("EventType") != "CallbackStarted":
                continue
            callback_id = (event.get("CallbackStartedDetails") or {}).get("CallbackId")
            if not callback_id or callback_id in answered.callbacks:
                continue
            found = self._find_action(event, actions, answered.actions, ctx)
            if found is None:
                if actions:
                    name = event.get("Name", "<anonymous>")
                    errors.append(f"No matching CallbackAction for {name!r} (id={callback_id})")
                answered.callbacks.add(callback_id)
                continue
            index, action = found
            answered.actions.add(index)
            if action.operation != "heartbeat":
                answered.callbacks.add(callback_id)
            if action.delay_seconds > 0:
                time.sleep(min(action.delay_seconds, max(0.0, deadline - time.monotonic())))
            try:
                self.send_callback(callback_id, action, ctx)
            except (*_CLIENT_ERRORS, ValueError) as exc:
                errors.append(f"Callback {action.operation} failed for {callback_id}: {exc}")
        return errors

    @staticmethod
    def _find_action(
        event: dict[str, Any],
        actions: list[CallbackAction],
        used: set[int],
        ctx: PlaceholderContext,
    ) -> tuple[int, CallbackAction] | None:
        name = event.get("Name", "")
        for index, action in enumerate(actions):
            if index in used:
                continue
            want = str(ctx.substitute(action.callback_name))
            pattern = regex_pattern(want)
            if want in ("*", name) or (pattern is not None and pattern.search(name or "")):
                return index, action
        return None

    def _cleanup(self, arn: str, events: list[dict[str, Any]] | None, rid: str) -> None:
        latest = self.history(arn) or events
        if latest is not None:
            self.history_dir.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"Events": latest}, indent=2, default=str)
            (self.history_dir / f"{rid}.json").write_text(text, encoding="utf-8")
        if latest is None or status_from_events(latest) not in TERMINAL:
            with contextlib.suppress(ClientError, BotoCoreError):
                self.emu.stop_durable_execution(DurableExecutionArn=arn)


@dataclass
class _Answered:
    callbacks: set[str] = field(default_factory=set)
    actions: set[int] = field(default_factory=set)


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
