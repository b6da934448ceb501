"""The file store under damage and attack, through the real ``durable-lambda`` command.

Each test writes handler files to a scratch folder, runs the command in a subprocess there (so
executions land in ``.durable/``), then damages or plants files as a power cut or another user
of the machine would, and checks what the command does: one bad file harms one execution and
nothing outside the store; files are private; callback ids cannot be guessed; user text cannot
drive the terminal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shlex
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from durable_lambda.adapters.file import FileExecutionStore

CLI = [sys.executable, "-m", "durable_lambda.app.cli"]

WAITING = """
    from durable_lambda import DurableContext, Duration, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        first = await ctx.step(lambda s: 20, name="first")
        await ctx.wait(Duration.from_seconds(1), name="pause")
        return await ctx.step(lambda s: first + 1, name="second")
"""

QUICK = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.step(lambda s: "done", name="only")
"""

APPROVAL = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")
"""

# Text a terminal acts on: ESC sequences that clear the screen and retitle the window, a bell,
# a carriage return that overwrites the line, the one-byte C1 CSI, and a right-to-left override.
NASTY = "\x1b[2J\x1b]0;owned\x07 wipe\rX \x9b31m \u202e"

HOSTILE = f"""
    from durable_lambda import DurableContext, RetryPresets, StepConfig, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        if event.get("fail"):
            def boom(step):
                raise ValueError({NASTY!r})

            await ctx.step(boom, name="boom", config=StepConfig(retry_strategy=RetryPresets.none()))
        await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")
        return {{"text": {NASTY!r}}}
"""


def write(folder: Path, name: str, source: str) -> None:
    (folder / name).write_text(textwrap.dedent(source))


def cli(folder: Path, *args: str, umask: int = -1) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=umask,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stderr


def listing(folder: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(ok(cli(folder, "list", "--json")).stdout)
    return entries


def execution(folder: Path, name: str) -> dict[str, Any]:
    [entry] = [e for e in listing(folder) if e.get("DurableExecutionName") == name]
    return entry


def record_file(folder: Path, name: str) -> Path:
    arn = execution(folder, name)["DurableExecutionArn"]
    return FileExecutionStore(folder / ".durable").record_path(arn)


def callback_id(stderr: str, folder: Path | None = None) -> str:
    """The callback the printed command answers: its short handle, or with ``folder`` its id."""
    line = next(line for line in stderr.splitlines() if "callback succeed" in line)
    handle = shlex.split(line.strip())[3]
    if folder is None:
        return handle
    for entry in listing(folder):
        data = json.loads(ok(cli(folder, "history", entry["DurableExecutionArn"], "--json")).stdout)
        for op in data["operations"]:
            full = op.get("CallbackDetails", {}).get("CallbackId", "")
            if full and hashlib.sha256(full.encode()).hexdigest().startswith(handle):
                return str(full)
    raise AssertionError(f"no callback has the handle {handle}")


def tree(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every entry under ``root``: its mode and its bytes (a link: its target)."""
    found: dict[str, tuple[int, bytes | str | None]] = {}
    for path in sorted(root.rglob("*")):
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            content: bytes | str | None = os.readlink(path)
        elif stat.S_ISREG(status.st_mode):
            content = path.read_bytes()
        else:
            content = None
        found[str(path.relative_to(root))] = (status.st_mode, content)
    return found


def suspended(
    folder: Path, source: str, name: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    write(folder, f"{name}.py", source)
    return ok(
        cli(folder, "run", f"{name}.py:handler", "--name", name, "--until", "suspended", *extra)
    )


# 1. One damaged record file harms one execution.


def test_an_emptied_record_file_harms_only_its_own_execution(tmp_path: Path) -> None:
    suspended(tmp_path, WAITING, "victim")
    suspended(tmp_path, WAITING, "other")
    victim = record_file(tmp_path, "victim")
    other_arn = execution(tmp_path, "other")["DurableExecutionArn"]
    victim.write_bytes(b"")  # what a power cut can leave
    folder = victim.parent.name

    shown = ok(cli(tmp_path, "list"))
    rows = [line.split() for line in shown.stdout.splitlines()]
    assert rows[1][:2] == ["other", "RUNNING"]
    assert rows[2] == [folder, "DAMAGED", "-", "-"]
    assert f"{folder} is damaged: the file is empty" in shown.stdout
    assert f"durable-lambda repair {folder}" in shown.stdout
    damaged = [e for e in listing(tmp_path) if e["Status"] == "DAMAGED"]
    assert damaged == [
        {
            "Status": "DAMAGED",
            "Folder": folder,
            "Path": str(victim),
            "Problem": "the file is empty",
            "Repair": f"durable-lambda repair {folder}",
        }
    ]

    assert "RUNNING" in ok(cli(tmp_path, "status", "other")).stdout
    ok(cli(tmp_path, "status", other_arn))
    assert "first" in ok(cli(tmp_path, "history", "other")).stdout
    error = failed(cli(tmp_path, "status", "victim"))
    # Which of the two depends on how much of the name the folder's name kept (the function
    # name, from this test's long folder, comes first and the whole is cut to 80 characters).
    assert ("the file is empty" in error and f"durable-lambda repair {folder}" in error) or (
        f"it may be a damaged one whose folder name no longer shows its name: {folder}" in error
    ), error
    assert "FileExecutionStore.repair" not in error

    resumed = ok(cli(tmp_path, "resume", "--all"))
    assert f"skipped: {folder} is damaged: the file is empty" in resumed.stderr
    assert "other SUCCEEDED" in resumed.stderr
    assert json.loads(resumed.stdout) == 21
    assert victim.read_bytes() == b""  # reported, never overwritten

    repaired = cli(tmp_path, "repair", folder)
    assert "nothing could be recovered (the file is empty)" in failed(repaired)
    assert not victim.exists()
    assert [p.name.startswith("execution.jsonl.corrupt-") for p in victim.parent.glob("exec*")] == [
        True
    ]
    assert [e["DurableExecutionName"] for e in listing(tmp_path)] == ["other"]


def test_repair_restores_a_record_whose_header_was_damaged(tmp_path: Path) -> None:
    suspended(tmp_path, WAITING, "hurt")
    path = record_file(tmp_path, "hurt")
    _, record, _ = path.read_bytes().split(b"\n")
    path.write_bytes(b'{"format": "dur' + b"\n" + record + b"\n")

    assert "header line is not valid" in failed(cli(tmp_path, "status", "hurt"))
    repaired = ok(cli(tmp_path, "repair", "hurt"))

    assert "hurt repaired (the header line is not valid" in repaired.stderr
    assert "restored from execution.jsonl (its checksum could not be checked" in repaired.stderr
    assert "continue it with: durable-lambda resume hurt" in repaired.stderr
    [kept] = path.parent.glob("execution.jsonl.corrupt-*")
    assert kept.read_bytes().startswith(b'{"format": "dur\n')
    assert json.loads(ok(cli(tmp_path, "resume", "hurt")).stdout) == 21
    assert "not damaged" in ok(cli(tmp_path, "repair", "hurt")).stderr


def test_repair_restores_the_complete_copy_an_interrupted_write_left(tmp_path: Path) -> None:
    suspended(tmp_path, WAITING, "cut")
    path = record_file(tmp_path, "cut")
    # A writer killed after its temporary file was complete, before the rename; then the file
    # itself emptied.
    (path.parent / ".execution.jsonl.999999999-0bad.tmp").write_bytes(path.read_bytes())
    path.write_bytes(b"")

    repaired = ok(cli(tmp_path, "repair", "cut"))

    assert "restored from .execution.jsonl.999999999-0bad.tmp (verified" in repaired.stderr
    assert json.loads(ok(cli(tmp_path, "resume", "cut")).stdout) == 21


def test_repair_restores_what_a_damaged_journal_held_before_the_damage(tmp_path: Path) -> None:
    suspended(tmp_path, WAITING, "torn")
    journal = record_file(tmp_path, "torn").with_name("journal")
    header, *changes = journal.read_bytes().splitlines(keepends=True)
    assert len(changes) >= 2, "the run journalled its changes"
    damaged = bytearray(changes[0])
    damaged[damaged.index(b"{") + 2] ^= 0x20  # a bad disk block in the first change
    journal.write_bytes(header + bytes(damaged) + b"".join(changes[1:]))
    folder = journal.parent.name

    error = failed(cli(tmp_path, "status", "torn"))
    assert "change 1 (at byte" in error
    assert "CRC-32 does not match" in error
    assert f"durable-lambda repair {folder}" in error
    repaired = ok(cli(tmp_path, "repair", folder))

    assert "torn repaired (change 1 (at byte" in repaired.stderr
    assert "restored from execution.jsonl (verified" in repaired.stderr
    [kept] = journal.parent.glob("journal.corrupt-*")
    assert kept.read_bytes().startswith(header + bytes(damaged))
    assert json.loads(ok(cli(tmp_path, "resume", "torn")).stdout) == 21
    assert "not damaged" in ok(cli(tmp_path, "repair", "torn")).stderr


# 2. Links planted where the store keeps its files.


def test_a_link_planted_at_the_lock_path_is_refused_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    suspended(tmp_path, WAITING, "target")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    lock = record_file(tmp_path, "target").parent / "lock"
    lock.unlink()
    lock.symlink_to(precious)

    error = failed(cli(tmp_path, "resume", "target"))

    assert "is a symbolic link, not a regular file" in error
    assert str(lock) in error
    assert precious.read_text() == "keep me"
    assert os.readlink(lock) == str(precious)


def test_a_link_planted_at_the_record_lock_or_record_path_is_refused(tmp_path: Path) -> None:
    started = suspended(tmp_path, APPROVAL, "held")
    path = record_file(tmp_path, "held")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    record_lock = path.parent / "record.lock"
    record_lock.unlink()
    record_lock.symlink_to(precious)

    error = failed(cli(tmp_path, "callback", "succeed", callback_id(started.stderr)))
    assert "is a symbolic link" in error
    assert precious.read_text() == "keep me"

    record_lock.unlink()
    path.rename(tmp_path / "real.jsonl")
    path.symlink_to(tmp_path / "real.jsonl")
    assert "is a symbolic link" in failed(cli(tmp_path, "status", "held"))
    assert "a symbolic link" in " ".join(e.get("Problem", "") for e in listing(tmp_path))


# 3. Private files.


def test_files_are_0600_and_folders_0700_even_with_a_permissive_umask(tmp_path: Path) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    started = ok(cli(tmp_path, "run", "approval.py:handler", "--until", "suspended", umask=0))
    ok(cli(tmp_path, "callback", "succeed", callback_id(started.stderr), umask=0))
    ok(cli(tmp_path, "resume", "--all", umask=0))

    modes = {name: stat.S_IMODE(mode) for name, (mode, _) in tree(tmp_path / ".durable").items()}
    modes[".durable"] = stat.S_IMODE((tmp_path / ".durable").stat().st_mode)
    folders = {
        name for name, (mode, _) in tree(tmp_path / ".durable").items() if stat.S_ISDIR(mode)
    }
    assert len(modes) >= 5
    for name, mode in modes.items():
        expected = 0o700 if name == ".durable" or name in folders else 0o600
        assert mode == expected, f"{name} is {oct(mode)}"


# 4. and 5. Callback ids: a junk one changes nothing; a real one cannot be guessed.


def test_a_bad_callback_id_changes_nothing_in_the_store(tmp_path: Path) -> None:
    started = suspended(tmp_path, APPROVAL, "waiting")
    arn = execution(tmp_path, "waiting")["DurableExecutionArn"]
    real = callback_id(started.stderr, tmp_path)
    stranger = arn.replace("/waiting/", "/stranger/")

    def old_style(arn: str, operation_id: str) -> str:
        return base64.b64encode(json.dumps([arn, operation_id]).encode()).decode()

    def new_style(arn: str, tag: str) -> str:
        return base64.urlsafe_b64encode(arn.encode()).decode().rstrip("=") + "." + tag

    before = tree(tmp_path / ".durable")
    for junk in [
        old_style(stranger, "x"),
        new_style(stranger, "A" * 22),
        new_style(arn, "A" * 22),
        real.split(".")[0] + ".",
        "not base64!",
        "",
    ]:
        error = failed(cli(tmp_path, "callback", "succeed", junk))
        assert "no callback has this id" in error
        assert tree(tmp_path / ".durable") == before

    assert "approval" in ok(cli(tmp_path, "callback", "succeed", real)).stderr


def test_a_callback_id_cannot_be_guessed_from_the_arn(tmp_path: Path) -> None:
    started = suspended(tmp_path, APPROVAL, "secret")
    real = callback_id(started.stderr, tmp_path)
    arn = execution(tmp_path, "secret")["DurableExecutionArn"]
    history = json.loads(ok(cli(tmp_path, "history", "secret", "--json")).stdout)
    [callback] = [op for op in history["operations"] if op["Type"] == "CALLBACK"]
    # What the id was until now: the base64 of the ARN and the (deterministic) operation id.
    guess = base64.b64encode(
        json.dumps([arn, callback["Id"]], separators=(",", ":")).encode()
    ).decode()

    assert real != guess
    assert "no callback has this id" in failed(cli(tmp_path, "callback", "succeed", guess))
    assert execution(tmp_path, "secret")["Status"] == "RUNNING"
    assert len(real) <= len(guess)
    # The same code with the same name gets another id: it carries a secret of its own.
    again = suspended(tmp_path, APPROVAL, "secret2")
    assert callback_id(again.stderr, tmp_path).split(".")[1] != real.split(".")[1]


# 6. User text cannot drive the terminal.


def assert_inert(text: str) -> None:
    controls = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0]
    assert not controls, f"control characters reach the terminal: {controls!r} in {text!r}"
    assert "\u202e" not in text


def test_user_text_reaches_the_terminal_with_its_control_characters_escaped(
    tmp_path: Path,
) -> None:
    write(tmp_path, "hostile.py", HOSTILE)
    name = "evil\x1b[1m"
    failing = cli(tmp_path, "run", "hostile.py:handler", "--name", name, "--input", '{"fail": 1}')
    assert failing.returncode == 1
    started = ok(
        cli(tmp_path, "run", "hostile.py:handler", "--name", "sly", "--until", "suspended")
    )
    answered = ok(cli(tmp_path, "callback", "succeed", callback_id(started.stderr)))
    finished = ok(cli(tmp_path, "resume", "sly"))

    outputs = [
        failing,
        started,
        answered,
        finished,
        cli(tmp_path, "status", "evil"),
        cli(tmp_path, "status", "sly"),
        cli(tmp_path, "history", "evil"),
        cli(tmp_path, "list"),
        cli(tmp_path, "history", "evil", "--json"),
    ]
    for result in outputs:
        assert_inert(result.stdout)
        assert_inert(result.stderr)
    # The one-line error folds whitespace (the CR too) and escapes the rest.
    assert "\\x1b[2J\\x1b]0;owned\\x07 wipe X \\x9b31m \\u202e" in failing.stderr
    assert "evil\\x1b[1m" in outputs[4].stdout
    assert "\\x1b[2J" in outputs[4].stdout  # the error row of status
    assert "\\x9b31m" in outputs[5].stdout  # the result row of status
    assert "\\x1b[2J" in outputs[6].stdout  # the failed step in the tree
