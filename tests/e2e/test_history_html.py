"""``durable-lambda history --html``: the timeline page, opened in a real headless browser.

The page is rendered by Chromium to a PNG; the PNG is decoded with the standard library and must
show the bars in their status colours (a succeeded green, the red of a failed attempt, the grey
stripes of a retry back-off).

Playwright drives the same Chromium (Debian's, by its path: Playwright's own browser download is
not used) to click operations as a reader does: the clicked operation's details appear (its
payloads, cut short until "show all", its error with the line of the user's code that raised,
its attempts and the back-off between them), and user text that is markup stays text.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.app.history_html import BACKOFF_COLOUR, STATUS_COLOURS
from durable_lambda.core.model import OperationStatus

CHROMIUM = Path("/usr/bin/chromium")
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]
CHART_TOP = 110
"""The first pixel row below the page's header and legend."""

HANDLER = """
    from durable_lambda import (
        DurableContext, Duration, JitterStrategy, RetryStrategyConfig, StepConfig,
        create_retry_strategy, durable_execution,
    )

    retry_once = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(
        max_attempts=2, initial_delay=Duration(1), jitter_strategy=JitterStrategy.NONE)))

    def charge(step):
        if step.attempt == 1:
            raise RuntimeError("card declined")
        return "charged"

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.step(lambda s: {"lines": [f"line {i:03d}" for i in range(200)]},
                       name="create-order")
        receipt = await ctx.step(charge, name="charge", config=retry_once)
        await ctx.wait(Duration.from_seconds(1), name="cool-off")
        decision = await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")
        return {"receipt": receipt, "decision": decision}
"""


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    result = subprocess.run(
        [*CLI, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Return width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0)
            channels = {2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        rows.append(bytes(row))
        previous = row
    return width, height, rows if channels == 3 else rgba_to_rgb(rows)


def unfilter(kind: int, row: bytearray, above: bytearray, bpp: int) -> bytearray:
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = above[i]
        corner = above[i - bpp] if i >= bpp else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            row[i] = (row[i] + predictor) & 0xFF
    return row


def rgba_to_rgb(rows: list[bytes]) -> list[bytes]:
    return [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]


def pixels(rows: list[bytes]) -> Iterator[tuple[int, int, int]]:
    for row in rows:
        for i in range(0, len(row), 3):
            yield row[i], row[i + 1], row[i + 2]


def rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def count_near(found: dict[tuple[int, int, int], int], colour: str, tolerance: int = 6) -> int:
    target = rgb(colour)
    return sum(
        n
        for pixel, n in found.items()
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True))
    )


@pytest.fixture
def timeline_page(tmp_path: Path) -> Path:
    (tmp_path / "order.py").write_text(textwrap.dedent(HANDLER))
    cli(
        tmp_path,
        "run",
        "order.py:handler",
        "--name",
        "order-7",
        "--answer",
        'approval={"approved": true}',
    )
    page = tmp_path / "timeline.html"
    cli(tmp_path, "history", "order-7", "--html", str(page))
    return page


def test_the_page_is_written_and_self_contained(timeline_page: Path) -> None:
    html = timeline_page.read_text()

    assert "<svg" in html
    assert "<script" not in html.lower()
    assert "order-7" in html
    for name in ("create-order", "charge", "cool-off", "approval"):
        assert name in html
    assert "card declined" in html  # the failed attempt's tooltip


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium")
def test_chromium_draws_the_bars_in_their_status_colours(
    timeline_page: Path, tmp_path: Path
) -> None:
    screenshot = tmp_path / "timeline.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={screenshot}",
            "--window-size=1200,800",
            timeline_page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert screenshot.exists(), "chromium wrote no screenshot"

    width, height, rows = decode_png(screenshot.read_bytes())
    assert (width, height) == (1200, 800)
    # Below the header and the legend (whose swatches show every colour): only the chart.
    chart: dict[tuple[int, int, int], int] = {}
    for pixel in pixels(rows[CHART_TOP:]):
        chart[pixel] = chart.get(pixel, 0) + 1

    white = count_near(chart, "#ffffff", tolerance=2)
    assert white < width * (height - CHART_TOP) * 0.97, "the chart looks blank"
    assert count_near(chart, STATUS_COLOURS[OperationStatus.SUCCEEDED]) > 2000
    assert count_near(chart, STATUS_COLOURS[OperationStatus.FAILED]) > 10  # attempt 1 of charge
    assert count_near(chart, BACKOFF_COLOUR) > 50  # the stripes of its back-off


# -- clicking, in a real browser ------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOSTILE = """
    from durable_lambda import DurableContext, RetryPresets, StepConfig, durable_execution

    NAME = '<img src=x onerror="window.pwned = 1">'

    def fail(step):
        raise ValueError('</pre><script>window.pwned = 2</script>')

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.step(lambda s: {"html": "<svg onload='window.pwned = 3'>"}, name=NAME)
        await ctx.step(fail, name="fails",
                       config=StepConfig(retry_strategy=RetryPresets.none()))
"""


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A page of Debian's Chromium driven by Playwright, with a fresh profile folder."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1300, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def panel_of(page: Any, name: str) -> Any:
    """Click the operation row named ``name``; return the details panel its link opens."""
    link = page.locator(f"a.op[data-name={json.dumps(name)}]")  # a CSS string, escaped
    target = link.get_attribute("href")
    assert target is not None
    panel = page.locator(target)
    assert panel.is_hidden(), f"the details of {name} show before any click"
    link.click()
    panel.wait_for(state="visible")
    return panel


def test_clicking_a_retried_step_shows_its_attempts_error_and_result(
    timeline_page: Path, browser_page: Any
) -> None:
    browser_page.goto(timeline_page.as_uri())

    panel = panel_of(browser_page, "charge")
    text = panel.inner_text()

    assert "charge" in text
    assert "STEP/Step" in text
    assert "attempts\n2" in text or "attempts\t2" in text
    assert '"charged"' in text  # the result
    attempts = panel.locator("table.attempts").inner_text()
    assert "attempt 1" in attempts
    assert "FAILED" in attempts
    assert "RuntimeError: card declined" in attempts
    assert "back-off before the next attempt (asked for 1s)" in attempts
    assert "attempt 2" in attempts
    # The line of the user's code that raised, its path relative to the project, first.
    frames = panel.locator("ol.frames").inner_text()
    assert frames.startswith("order.py:")
    assert "in charge" in frames
    assert 'raise RuntimeError("card declined")' in frames
    # The whole trace (the SDK's frames too) is there, folded.
    trace = panel.locator("details.trace pre")
    assert trace.is_hidden()
    panel.locator("details.trace summary").click()
    assert "Traceback (most recent call last)" in trace.inner_text()


def test_a_long_payload_is_cut_short_until_show_all(timeline_page: Path, browser_page: Any) -> None:
    browser_page.goto(timeline_page.as_uri())

    panel = panel_of(browser_page, "create-order")
    preview = panel.locator("pre.preview")
    full = panel.locator("details.more > pre")

    assert preview.is_visible()
    assert '"line 000"' in preview.inner_text()  # pretty JSON: one item a line
    assert '"line 199"' not in preview.inner_text()
    assert full.is_hidden()
    panel.locator("details.more summary").click()
    assert full.is_visible()
    assert '"line 199"' in full.inner_text()
    assert preview.is_hidden()


def test_the_execution_shows_its_input_result_and_the_function_relative_to_the_project(
    timeline_page: Path, browser_page: Any
) -> None:
    browser_page.goto(timeline_page.as_uri())

    assert "function order.py:handler" in browser_page.locator("p.facts").first.inner_text()
    root = browser_page.locator("a.op").first.get_attribute("data-name")
    panel = panel_of(browser_page, root)
    assert '"receipt": "charged"' in panel.inner_text()


def test_user_text_that_is_markup_is_shown_and_never_run(tmp_path: Path, browser_page: Any) -> None:
    (tmp_path / "hostile.py").write_text(textwrap.dedent(HOSTILE))
    run = subprocess.run(
        [*CLI, "run", "hostile.py:handler", "--name", "h-1", "--input", '{"x": "<b>bold</b>"}'],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr  # the second step fails the execution
    page_file = tmp_path / "hostile.html"
    cli(tmp_path, "history", "h-1", "--html", str(page_file))
    dialogs: list[str] = []
    browser_page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    browser_page.goto(page_file.as_uri())

    name = '<img src=x onerror="window.pwned = 1">'
    panel = panel_of(browser_page, name)
    assert name in panel.inner_text()
    assert "<svg onload='window.pwned = 3'>" in panel.inner_text()
    failed = panel_of(browser_page, "fails")
    assert "</pre><script>window.pwned = 2</script>" in failed.inner_text()
    assert browser_page.locator("img, script, svg svg").count() == 0
    assert browser_page.evaluate("window.pwned") is None
    assert dialogs == []
