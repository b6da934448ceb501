"""A fork server for the file store's kill tests: one Python start-up, many workers to kill.

The server imports once, then forks one worker per ``run <seq>`` command, so that each of many
kills costs a fork, not a Python start-up. A worker writes ``seq``, ``seq + 1``, ... and says
``<verb> <n>`` after each write returns; the server says ``worker <pid>`` when it forks one and
``reaped <pid> <status>`` once it has died. The test side (``ForkServer``) starts a worker, kills
it with SIGKILL after a while, and returns what the worker said it had finished.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# The server's loop; the code before it defines ``work(seq)``, the coroutine a worker runs.
FORK_LOOP = """
def say(text):
    os.write(1, (text + "\\n").encode())

say("ready")
for command in sys.stdin:
    name, _, argument = command.partition(" ")
    if name != "run":
        break
    pid = os.fork()
    if pid == 0:
        asyncio.run(work(int(argument)))
        os._exit(0)
    say(f"worker {pid}")
    _, status = os.waitpid(pid, 0)
    say(f"reaped {pid} {status}")
"""


async def read_line(stream: asyncio.StreamReader) -> str:
    """Return a child process's next line of output (waiting 30 s at most), stripped."""
    line = await asyncio.wait_for(stream.readline(), 30)
    assert line, "the child process ended unexpectedly"
    return line.decode().strip()


class ForkServer:
    """The test side of a running fork server."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout

    async def kill_a_worker(self, first: int, after: float) -> list[int]:
        """Start a worker writing from ``first`` on, SIGKILL it ``after`` seconds later.

        Returns:
            The numbers the worker said it had written, in order.
        """
        self._stdin.write(f"run {first}\n".encode())
        await self._stdin.drain()
        worker = int((await read_line(self._stdout)).split()[1])
        await asyncio.sleep(after)
        os.kill(worker, signal.SIGKILL)
        written = []
        while not (line := await read_line(self._stdout)).startswith("reaped"):
            written.append(int(line.split()[1]))
        assert line.split()[2] == str(signal.SIGKILL), f"the worker did not die of SIGKILL: {line}"
        return written


@asynccontextmanager
async def fork_server(code: str, *args: str) -> AsyncIterator[ForkServer]:
    """Run ``code`` (which defines ``work(seq)``) followed by ``FORK_LOOP`` in a new process.

    Args:
        code: The server's imports and its ``work`` coroutine function.
        args: The server's command-line arguments (``sys.argv[1:]``).
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code + FORK_LOOP, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert await read_line(process.stdout) == "ready"
        yield ForkServer(process)
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            await process.wait()
