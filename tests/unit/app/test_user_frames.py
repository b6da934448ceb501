"""The user's own frame is found in recorded stack traces, wherever they were recorded."""

from __future__ import annotations

import traceback
from pathlib import Path

from durable_lambda import DurableContext, RetryPresets, StepConfig
from durable_lambda.app.user_frames import (
    display_path,
    frames,
    innermost_user_frame,
    is_library_path,
    user_frames,
)
from durable_lambda.testing import DurableTestRunner

# As the official SDK records a trace on Lambda: one entry per frame, several lines each.
LAMBDA_TRACE = [
    'File "/var/lang/lib/python3.13/asyncio/threads.py", line 25, in to_thread\n'
    "    return await loop.run_in_executor(None, func_call)\n",
    'File "/var/task/aws_durable_execution_sdk_python/operation/step.py", line 90, in execute\n'
    "    raw = func(step_context)\n",
    'File "/var/task/orders/billing.py", line 12, in charge\n'
    '    raise PaymentDeclined("card declined")\n',
]


def test_frames_are_read_from_a_formatted_traceback(tmp_path: Path) -> None:
    source = tmp_path / "shop.py"
    source.write_text("def pay():\n    raise ValueError('no money')\n")
    namespace: dict[str, object] = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    try:
        namespace["pay"]()  # type: ignore[operator]
    except ValueError as error:
        lines = [line.rstrip("\n") for line in traceback.format_exception(error)]

    frame = innermost_user_frame(lines)

    assert frame is not None
    assert (frame.path, frame.line, frame.function) == (str(source), 2, "pay")
    assert frame.source == "raise ValueError('no money')"
    assert frame.describe(tmp_path) == "shop.py:2 in pay: raise ValueError('no money')"


def test_a_trace_recorded_on_lambda_by_the_official_sdk() -> None:
    assert [frame.function for frame in frames(LAMBDA_TRACE)] == ["to_thread", "execute", "charge"]
    assert [frame.path for frame in user_frames(LAMBDA_TRACE)] == ["/var/task/orders/billing.py"]
    frame = innermost_user_frame(LAMBDA_TRACE)
    assert frame is not None
    assert frame.source == 'raise PaymentDeclined("card declined")'


def test_library_paths() -> None:
    assert is_library_path("<frozen runpy>")
    assert is_library_path("/usr/lib/python3.11/asyncio/threads.py")
    assert is_library_path("/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py")
    assert is_library_path("/app/.venv/lib/python3.12/site-packages/boto3/session.py")
    assert is_library_path("/usr/lib/python3/dist-packages/yaml/__init__.py")
    assert is_library_path("/work/durable-lambda/durable_lambda/core/operations/step.py")
    assert not is_library_path("/var/task/handler.py")
    assert not is_library_path("/home/me/project/lib/orders.py")
    assert not is_library_path("handler.py")


def test_no_trace_or_no_user_frame_gives_none() -> None:
    assert innermost_user_frame(None) is None
    assert innermost_user_frame([]) is None
    assert innermost_user_frame(LAMBDA_TRACE[:2]) is None


def test_paths_outside_the_root_stay_as_they_are(tmp_path: Path) -> None:
    assert display_path(str(tmp_path / "a" / "b.py"), tmp_path) == "a/b.py"
    assert display_path("/elsewhere/b.py", tmp_path) == "/elsewhere/b.py"
    assert display_path("/elsewhere/b.py", None) == "/elsewhere/b.py"


async def test_a_failed_step_records_a_trace_whose_user_frame_is_the_raising_line() -> None:
    def charge(step: object) -> None:
        raise RuntimeError("card declined")

    async def handler(event: object, ctx: DurableContext) -> None:
        await ctx.step(charge, name="charge", config=StepConfig(retry_strategy=RetryPresets.none()))

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    frame = innermost_user_frame(result.error.StackTrace)
    assert frame is not None
    assert frame.path == __file__
    assert frame.function == "charge"
    assert frame.source == 'raise RuntimeError("card declined")'
