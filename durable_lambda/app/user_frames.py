"""The user's own frames in a recorded stack trace.

An error's ``StackTrace`` (as ``ErrorObject`` records it: the lines of a formatted traceback)
shows the SDK's frames, the standard library's and the user's together. Someone reading why an
execution failed wants the last: the line of their code that raised. This module reads the
frames back out of the text and tells them apart by path alone, so it works as well on a trace
recorded on Lambda (``/var/task/...``, ``/var/lang/lib/python3.13/...``) as on one recorded here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

__all__ = ["Frame", "display_path", "frames", "innermost_user_frame", "user_frames"]

_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<function>.+?)\s*$')
_PYTHON_LIB = re.compile(r"^(?:python\d+(?:\.\d+)*t?|pypy\d*(?:\.\d+)*)$")
_LIBRARY_FOLDERS = {
    "site-packages",
    "dist-packages",
    "durable_lambda",
    "aws_durable_execution_sdk_python",
}


@dataclass(frozen=True)
class Frame:
    """One frame of a formatted traceback.

    Args:
        path: The file, as the traceback names it.
        line: The line number.
        function: The function's name.
        source: The source line the traceback showed under the frame, if any (stripped).
    """

    path: str
    line: int
    function: str
    source: str | None

    def describe(self, root: Path | None = None) -> str:
        """Return ``path:line in function: source``, the path relative to ``root`` if inside."""
        place = f"{display_path(self.path, root)}:{self.line} in {self.function}"
        return f"{place}: {self.source}" if self.source else place


def _lines(stack_trace: Sequence[str] | None) -> list[str]:
    # The official SDK records one entry per frame (several lines each); this SDK one per line.
    return "\n".join(stack_trace or ()).splitlines()


def frames(stack_trace: Sequence[str] | None) -> list[Frame]:
    """Return every frame of a recorded stack trace, outermost first, chained sections in order.

    Args:
        stack_trace: The ``StackTrace`` of an ``ErrorObject``; ``None`` or empty gives none.

    Returns:
        The frames; lines that are not frames (the exception line, chaining notes) are skipped.
    """
    lines = _lines(stack_trace)
    found: list[Frame] = []
    for index, text in enumerate(lines):
        match = _FRAME.match(text)
        if match is None:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        source = following.strip() if following.startswith("    ") and following.strip() else None
        if source is not None and _FRAME.match(following):
            source = None
        found.append(Frame(match["path"], int(match["line"]), match["function"], source))
    return found


def is_library_path(path: str) -> bool:
    """Tell whether ``path`` is the SDK's, a library's or Python's own, not the user's code.

    Args:
        path: A file path as a traceback names it.

    Returns:
        True for ``<frozen ...>`` and other pseudo-files, files under a ``site-packages`` or
        ``dist-packages`` folder, the standard library (``lib/python3.X``) and this SDK's (or the
        official SDK's) package folder, wherever they are installed.
    """
    if path.startswith("<"):
        return True
    parts = PurePath(path).parts
    if any(part in _LIBRARY_FOLDERS for part in parts[:-1]):
        return True
    return any(
        parts[index].lower() == "lib" and _PYTHON_LIB.match(parts[index + 1].lower())
        for index in range(len(parts) - 2)
    )


def user_frames(stack_trace: Sequence[str] | None) -> list[Frame]:
    """Return the frames of ``stack_trace`` that are in the user's code, outermost first."""
    return [frame for frame in frames(stack_trace) if not is_library_path(frame.path)]


def innermost_user_frame(stack_trace: Sequence[str] | None) -> Frame | None:
    """Return the last frame of the user's code in ``stack_trace`` (where it raised), if any."""
    found = user_frames(stack_trace)
    return found[-1] if found else None


def display_path(path: str, root: Path | None = None) -> str:
    """Return ``path`` relative to ``root`` when it lies inside it, else as it is.

    Args:
        path: A file path, absolute or not.
        root: The project folder (usually the current working folder); ``None`` keeps ``path``.

    Returns:
        The shorter, relative form when there is one.
    """
    if root is None:
        return path
    try:
        return PurePath(path).relative_to(root).as_posix()
    except ValueError:
        return path
