"""The conformance runner's command line: start the services, run the requirements, report.

Starts two loopback services -- ``dex-local-runner`` (the official emulator of the Lambda durable
execution API, through ``dex_launcher.py`` with its history-rendering fixes) and
``lambda_shim.py`` (a Lambda Invoke API running our handlers in worker processes) -- then runs
every selected requirement as the requirements' own runner does against AWS, and prints one line
per requirement, a per-suite table and ``conformance: N passed, M failed``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

from conformance.harness.executor import Harness, Outcome, say
from conformance.harness.requirements import (
    anchor_paths,
    discover,
    effective_mapping,
    fetch_requirements,
    id_key,
    load_mapping,
)
from conformance.harness.services import (
    LOOPBACK,
    REGION,
    Processes,
    child_env,
    dex_python,
    find_dex_cli,
    free_port,
    http_ok,
    wait_until,
)

__all__ = ["main", "parse_args"]

HERE = Path(__file__).resolve().parent
CONFORMANCE_DIR = HERE.parent
REPO_ROOT = CONFORMANCE_DIR.parent.parent
DEFAULT_MAPPING = CONFORMANCE_DIR / "mapping.json"
DEFAULT_CACHE = REPO_ROOT / ".cache" / "conformance"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description="Run the durable-execution conformance suites.")
    ap.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING, help="mapping file")
    ap.add_argument(
        "--requirements",
        type=Path,
        default=None,
        help="requirements folder (default: the pinned PyPI package, cached under --cache-dir)",
    )
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="download cache")
    ap.add_argument("--suite", nargs="+", default=["all"], help="suites to run (default: all)")
    ap.add_argument("--ids", nargs="+", default=None, help="only these requirement ids")
    ap.add_argument("--jobs", type=int, default=4, help="requirements run at once (default 4)")
    ap.add_argument("--cap", type=float, default=120.0, help="seconds per requirement")
    ap.add_argument("--poll-interval", type=float, default=None, help="history poll interval")
    ap.add_argument("--dex-local-runner", default=None, help="path of dex-local-runner")
    ap.add_argument("--no-emulator-fixes", action="store_true", help="run the stock emulator")
    ap.add_argument("--skip-time", action="store_true", help="emulator skips durable waits")
    ap.add_argument("--work-dir", type=Path, default=None, help="logs and histories go here")
    ap.add_argument("--json-report", type=Path, default=None, help="write results as JSON")
    ap.add_argument("--verbose", action="store_true", help="print every error of a failure")
    ap.add_argument(
        "--mode",
        choices=["BATCHED", "EAGER", "OPTIMISTIC"],
        type=str.upper,
        default=None,
        help="checkpoint mode every handler runs in (default: each handler's own, BATCHED)",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the selected requirements; 0 if none failed, 1 if some did, 2 if none could run."""
    args = parse_args(argv)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    started = time.monotonic()
    args.dex_local_runner = args.dex_local_runner or find_dex_cli()
    if not args.dex_local_runner:
        say("dex-local-runner not found: install the dev dependencies (pip install -e '.[dev]')")
        return 2
    try:
        req_dir = args.requirements or fetch_requirements(args.cache_dir)
    except RuntimeError as exc:
        say(f"requirements unavailable: {exc}")
        return 2
    all_reqs = discover(req_dir)
    selected = {
        rid: v
        for rid, v in all_reqs.items()
        if ("all" in args.suite or v[0] in args.suite) and (not args.ids or rid in args.ids)
    }
    mapping = load_mapping(args.mapping)
    effective, req_to_fn = effective_mapping(mapping)
    base = args.mapping.resolve().parent
    anchor_paths(effective, base)
    for spec in effective["functions"].values():
        if isinstance(spec, dict):
            anchor_paths(spec, base)
    not_implemented = {str(k): str(v) for k, v in (mapping.get("not_implemented") or {}).items()}
    work: Path = args.work_dir or Path(tempfile.mkdtemp(prefix="conformance-"))
    work.mkdir(parents=True, exist_ok=True)
    say(f"requirements: {req_dir} ({len(selected)} selected of {len(all_reqs)})")
    say(f"work dir: {work}")

    procs = Processes()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    outcomes: list[Outcome] = []
    try:
        emu_url, shim_url = _start_services(args, procs, effective, work)
        say(f"emulator: {emu_url}  lambda shim: {shim_url}")
        harness = Harness(args, emu_url, shim_url, work / "handler-logs.jsonl", work)
        todo = _plan(selected, req_to_fn, not_implemented, outcomes)
        _run_all(harness, todo, outcomes, args.jobs, args.verbose)
    except KeyboardInterrupt as exc:
        say(f"interrupted ({exc}); requirements not finished are not counted")
    except RuntimeError as exc:
        say(f"setup failed: {exc}")
        say("conformance: 0 passed, 0 failed")
        return 2
    finally:
        procs.stop_all()
    return _report(outcomes, args, work, started)


def _start_services(
    args: argparse.Namespace, procs: Processes, effective: dict[str, Any], work: Path
) -> tuple[str, str]:
    """Start the Lambda shim and the emulator; return their URLs."""
    mapping_path = work / "effective-mapping.json"
    mapping_path.write_text(json.dumps(effective, indent=2), encoding="utf-8")
    configs_path = work / "function-configs.json"
    configs = {name: _function_config(spec) for name, spec in effective["functions"].items()}
    configs_path.write_text(json.dumps(configs, indent=2), encoding="utf-8")
    timeouts = [
        int(f.get("timeout", 60)) for f in effective["functions"].values() if isinstance(f, dict)
    ]
    for attempt in range(3):
        emu_url = f"http://{LOOPBACK}:{free_port()}"
        ready = work / "shim.port"
        ready.unlink(missing_ok=True)
        shim_cmd = [
            sys.executable,
            str(HERE / "lambda_shim.py"),
            "--mapping", str(mapping_path), "--host", LOOPBACK, "--port", "0",
            "--ready-file", str(ready), "--emulator-endpoint", emu_url,
            "--log-file", str(work / "handler-logs.jsonl"), "--sync-wait-cap", str(args.cap),
        ]  # fmt: skip
        shim_env = child_env()
        if args.mode:  # every worker applies it to the handler it loads
            shim_env["CONFORMANCE_CHECKPOINT_MODE"] = args.mode
        shim = procs.start("lambda_shim", shim_cmd, shim_env, work / "shim.log")
        if not wait_until(ready.exists, 30, shim):
            raise RuntimeError(f"lambda_shim did not start; see {work / 'shim.log'}")
        shim_url = f"http://{LOOPBACK}:{ready.read_text().strip()}"
        launcher = (
            [args.dex_local_runner]
            if args.no_emulator_fixes
            else [dex_python(args.dex_local_runner), str(HERE / "dex_launcher.py")]
        )
        dex_cmd = [
            *launcher, "start-server", "--host", LOOPBACK, "--port", emu_url.rsplit(":", 1)[1],
            "--lambda-endpoint", shim_url, "--local-runner-endpoint", emu_url,
            "--local-runner-region", REGION, "--invocation-timeout", str(max([60, *timeouts])),
            "--function-configs", f"file://{configs_path}", "--log-level", "WARNING",
        ]  # fmt: skip
        if args.skip_time:
            dex_cmd.append("--skip-time")
        dex = procs.start("dex-local-runner", dex_cmd, child_env(), work / "dex-local-runner.log")
        if wait_until(functools.partial(http_ok, emu_url + "/health"), 45, dex):
            return emu_url, shim_url
        say(f"emulator did not come up (attempt {attempt + 1}); retrying")
        procs.stop_all()
    raise RuntimeError(f"dex-local-runner did not start; see {work / 'dex-local-runner.log'}")


def _function_config(spec: object) -> dict[str, Any]:
    """The emulator's view of a function: durable (with its config) unless ``durable`` is null."""
    default = {"ExecutionTimeout": 300, "RetentionPeriodInDays": 7}
    durable = spec.get("durable", default) if isinstance(spec, dict) else default
    return {"DurableConfig": durable} if isinstance(durable, dict) else {}


def _plan(
    selected: dict[str, tuple[str, Path]],
    req_to_fn: dict[str, str],
    not_implemented: dict[str, str],
    outcomes: list[Outcome],
) -> list[tuple[str, str, Path, str]]:
    """Split the selection into what runs and what is reported unmapped."""
    todo: list[tuple[str, str, Path, str]] = []
    for rid in sorted(selected, key=id_key):
        suite, path = selected[rid]
        function = req_to_fn.get(rid)
        if function is None:
            status = "NOT_IMPLEMENTED" if rid in not_implemented else "UNCOVERED"
            outcome = Outcome(rid, suite, status, reason=not_implemented.get(rid, "no handler"))
            outcomes.append(outcome)
            say(f"{rid:<7} {status:<8} {outcome.reason}")
        else:
            todo.append((rid, suite, path, function))
    return todo


def _run_all(
    harness: Harness,
    todo: list[tuple[str, str, Path, str]],
    outcomes: list[Outcome],
    jobs: int,
    verbose: bool,
) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(harness.run, *item) for item in todo]
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            optional = " (optional)" if outcome.optional and outcome.status != "PASSED" else ""
            tag = outcome.status + optional
            timing = f"[{outcome.suite}] {outcome.seconds:5.1f}s"
            say(f"{outcome.rid:<7} {tag:<8} {timing} {outcome.reason}")
            if verbose:
                for error in outcome.errors[1:]:
                    say(f"          {error}")


def _report(outcomes: list[Outcome], args: argparse.Namespace, work: Path, started: float) -> int:
    ran = [o for o in outcomes if o.status in ("PASSED", "FAILED", "ERROR")]
    passed = sum(o.status == "PASSED" for o in ran)
    failed = len(ran) - passed
    per_suite: dict[str, list[int]] = {}
    for outcome in ran:
        counts = per_suite.setdefault(outcome.suite, [0, 0])
        counts[0 if outcome.status == "PASSED" else 1] += 1
    say("")
    for suite in sorted(per_suite):
        say(f"  {suite:<20} {per_suite[suite][0]:>3} passed, {per_suite[suite][1]:>3} failed")
    failing = sorted((o for o in ran if o.status != "PASSED"), key=lambda o: id_key(o.rid))
    if failing:
        say("  not passed: " + " ".join(f"{o.rid}({o.status[0]})" for o in failing))
    unmapped = sum(o.status in ("UNCOVERED", "NOT_IMPLEMENTED") for o in outcomes)
    say(f"  uncovered/not implemented: {unmapped}; wall time {time.monotonic() - started:.1f}s")
    say(f"  logs and histories in {work}")
    if args.json_report:
        ordered = sorted(outcomes, key=lambda o: id_key(o.rid))
        args.json_report.write_text(json.dumps([asdict(o) for o in ordered], indent=2))
    say(f"conformance: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
