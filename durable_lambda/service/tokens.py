"""Checkpoint tokens: one current token per execution, each call rotating it, older ones stale."""

from __future__ import annotations

import base64
import binascii

from durable_lambda.service.record import ExecutionRecord

__all__ = ["checkpoint_token_for", "issue_token", "token_was_issued"]


def checkpoint_token_for(arn: str, sequence: int) -> str:
    """Return the checkpoint token number ``sequence`` of execution ``arn``: opaque base64."""
    return base64.b64encode(f"{sequence}:{arn}".encode()).decode("ascii")


def token_was_issued(record: ExecutionRecord, token: str) -> bool:
    """Whether ``token`` is one of the checkpoint tokens issued for this execution so far."""
    try:
        sequence, _, arn = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return arn == record.arn and sequence.isdigit() and int(sequence) <= record.token_sequence


def issue_token(record: ExecutionRecord) -> str:
    """Issue the next checkpoint token; every earlier one becomes stale."""
    record.token_sequence += 1
    record.checkpoint_token = checkpoint_token_for(record.arn, record.token_sequence)
    return record.checkpoint_token
