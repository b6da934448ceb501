"""Execution ARNs, and what the service derives from one: the name, the EXECUTION operation's id."""

from __future__ import annotations

import hashlib
import re

__all__ = ["execution_arn", "execution_name_from_arn", "execution_operation_id"]

_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def execution_arn(
    function_name: str,
    execution_name: str,
    execution_id: str,
    *,
    region: str = "us-east-1",
    account_id: str = "000000000000",
    qualifier: str = "$LATEST",
) -> str:
    """Return a durable execution ARN in the service's format.

    Characters the ARN pattern does not allow (``.``, ``:``, ``/`` in a local handler path)
    become ``-``.

    Example:
        >>> execution_arn("orders", "run-1", "abc")
        'arn:aws:lambda:us-east-1:000000000000:function:orders:$LATEST/durable-execution/run-1/abc'
    """
    function = _safe(function_name)
    name = _safe(execution_name)[:64]
    return (
        f"arn:aws:lambda:{region}:{account_id}:function:{function}:{qualifier}"
        f"/durable-execution/{name}/{_safe(execution_id)}"
    )


def _safe(text: str) -> str:
    return _UNSAFE_NAME_CHARS.sub("-", text).strip("-") or "x"


def execution_name_from_arn(arn: str) -> str:
    """Return the execution name an ARN carries (its last-but-one segment), else the ARN."""
    parts = arn.split("/")
    if len(parts) >= 3 and parts[-3].endswith("durable-execution"):
        return parts[-2]
    return arn


def execution_operation_id(arn: str) -> str:
    """Return the id of an execution's EXECUTION operation.

    That is the ARN's last segment if it is a valid operation id, else a digest of the ARN.
    """
    last = arn.rsplit("/", 1)[-1]
    if _ID_PATTERN.fullmatch(last):
        return last
    return hashlib.blake2b(arn.encode(), digest_size=16).hexdigest()
