"""FileBlobStore: which file system failures retry the invocation, and which fail it.

A network file system that times out or hands back a stale handle cannot be produced on the
local disk these tests run on, so ``os.open`` in the store's module is replaced to raise the
``OSError`` such a mount raises; everything else is the real store and serializer.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.adapters.offload import (
    OffloadError,
    OffloadSerDes,
    OffloadUnavailableError,
)
from durable_lambda.core.errors import InvocationError
from durable_lambda.core.serdes import SerDesContext

CONTEXT = SerDesContext("op-1", "arn:aws:lambda:us-east-1:123456789012:function:f")
TEMPORARY = [errno.ETIMEDOUT, errno.ESTALE, errno.EAGAIN, errno.EBUSY]
PERMANENT = [errno.EIO, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS]


def _failing_open(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError(code, os.strerror(code))

    # The store opens every file through os.open (undone when the test ends).
    monkeypatch.setattr(os, "open", refuse)


@pytest.mark.parametrize("code", TEMPORARY, ids=errno.errorcode.get)
def test_a_failure_that_may_pass_retries_the_invocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    serdes = OffloadSerDes.filesystem(tmp_path, threshold=0)
    payload = serdes.serialize("x", CONTEXT)
    serdes.deserialize(payload, CONTEXT)  # the read-back
    _failing_open(monkeypatch, code)

    with pytest.raises(OffloadUnavailableError, match=serdes.key_for(CONTEXT)):
        serdes.serialize("x", CONTEXT)
    with pytest.raises(OffloadUnavailableError, match=f"could not read file:{tmp_path}/"):
        serdes.deserialize(payload, CONTEXT)


@pytest.mark.parametrize("code", PERMANENT, ids=errno.errorcode.get)
def test_a_failure_that_stays_fails_the_execution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    serdes = OffloadSerDes.filesystem(tmp_path, threshold=0)
    payload = serdes.serialize("x", CONTEXT)
    serdes.deserialize(payload, CONTEXT)
    _failing_open(monkeypatch, code)

    with pytest.raises(OffloadError) as written:
        serdes.serialize("x", CONTEXT)
    with pytest.raises(OffloadError) as read:
        serdes.deserialize(payload, CONTEXT)

    assert not isinstance(written.value, InvocationError)
    assert not isinstance(read.value, InvocationError)
