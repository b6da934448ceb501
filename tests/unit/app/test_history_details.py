"""The HTML timeline's details panels and page: payloads, errors, attempts, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from durable_lambda import service
from durable_lambda.app.history_details import PREVIEW_CHARACTERS, pretty_payload
from durable_lambda.app.history_html import function_label, render_html
from durable_lambda.app.history_render import execution_timeline
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARN = service.execution_arn("orders", "run-1", "abc")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TRACE = (
    "Traceback (most recent call last):",
    '  File "/work/shop/durable_lambda/core/operations/step.py", line 133, in run_step',
    "    raw = await call_user_function(fn, step_context)",
    f'  File "/work/shop/orders/billing.py", line 12, in charge_{"x" * 3}',
    f"    raise RuntimeError('{HOSTILE}')",
    f"RuntimeError: {HOSTILE}",
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def checkpoint(record: ExecutionRecord, seconds: float, *updates: dict[str, object]) -> None:
    models = [OperationUpdate.model_validate(update) for update in updates]
    service.apply_checkpoint(record, record.checkpoint_token, models, at(seconds))


def step(op_id: str, action: str, **fields: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **fields}


def failed_record() -> ExecutionRecord:
    record = service.start_execution(
        ARN, "/work/shop/orders/billing.py:handler", f'{{"note": "{HOSTILE}"}}', T0, name="run-1"
    )
    error = ErrorObject(ErrorType="RuntimeError", ErrorMessage=HOSTILE, StackTrace=TRACE)
    checkpoint(record, 0.1, step("a", "START", Name=HOSTILE))
    checkpoint(
        record, 0.2, step("a", "SUCCEED", Name=HOSTILE, Payload='{"big": "' + "y" * 3000 + '"}')
    )
    checkpoint(record, 0.3, step("b", "START", Name="charge"))
    checkpoint(
        record,
        0.4,
        step(
            "b",
            "RETRY",
            Name="charge",
            Error=error.to_wire(),
            StepOptions={"NextAttemptDelaySeconds": 7},
        ),
    )
    service.advance(record, at(7.4))
    checkpoint(record, 7.5, step("b", "START", Name="charge"))
    checkpoint(record, 7.6, step("b", "FAIL", Name="charge", Error=error.to_wire()))
    failed = InvocationOutput(Status=InvocationStatus.FAILED, Error=error)
    service.record_invocation(record, at(7.4), at(7.7), failed)
    return record


def page() -> str:
    record = failed_record()
    return render_html(
        record, execution_timeline(record, now=at(100)), project_root=Path("/work/shop")
    )


def panel(html: str, name: str) -> str:
    target = re.search(rf'<a class="op" href="#(op-\d+)" data-name="{re.escape(name)}">', html)
    assert target is not None, name
    start = html.index(f'<section class="detail" id="{target[1]}">')
    return html[start : html.index("</section>", start)]


def test_no_user_text_reaches_the_page_unescaped() -> None:
    html = page()

    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_failed_step_panel_has_its_attempts_delays_and_the_users_frame() -> None:
    charge = panel(page(), "charge")

    assert "attempt 1" in charge
    assert "attempt 2" in charge
    assert "asked for 7s" in charge
    assert "7.10s" in charge  # the back-off lasted from 0.4 s to 7.5 s
    # The user's frame, relative to the project; the SDK's frame only in the full trace.
    frames = charge[charge.index('<ol class="frames">') : charge.index("</ol>")]
    assert "orders/billing.py:12" in frames
    assert "charge_xxx" in frames
    assert "step.py" not in frames
    assert "full stack trace (6 lines)" in charge
    assert "durable_lambda/core/operations/step.py" in charge


def test_payloads_are_pretty_json_and_long_ones_have_a_show_all() -> None:
    first = panel(
        page(),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
    )

    assert '<pre class="preview">' in first
    shown = len(pretty_payload('{"big": "' + "y" * 3000 + '"}'))
    assert f"show all ({shown:,} characters)" in first
    assert pretty_payload('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_payload("not json") == "not json"
    assert shown > PREVIEW_CHARACTERS


def test_the_execution_panel_has_the_input_and_the_error() -> None:
    html = page()
    execution = html[html.index('<section class="detail" id="op-0">') :]
    execution = execution[: execution.index("</section>")]

    assert "<h3>input</h3>" in execution
    assert "&quot;note&quot;" in execution
    assert "<h3>error</h3>" in execution


def test_the_function_is_shown_relative_to_the_project() -> None:
    html = page()

    assert "function <b>orders/billing.py:handler</b>" in html
    assert (
        function_label("/elsewhere/h.py:handler", Path("/work/shop")) == "/elsewhere/h.py:handler"
    )
    assert function_label("my-lambda-function", Path("/work/shop")) == "my-lambda-function"
