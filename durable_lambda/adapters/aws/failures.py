"""How ``LambdaDurableService`` reads a failed call: retry it here, or which core error it is.

The classification is described in ``lambda_service``'s module docstring (it follows the official
SDK's ``BotoClientError``): throttling, 5xx, dropped connections and garbled 2xx answers are
transient; a KMS error or another 4xx is permanent; only an ``InvalidParameterValueException``
saying "Invalid checkpoint token" is a token problem.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError

__all__ = ["Failure", "Kind", "classify", "incomplete", "to_error"]

_THROTTLING_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded"}
)
# Modelled as HTTP 502 for both operations, but they need the customer to fix the function's KMS
# key: retrying (here or by Lambda) cannot help.
_NON_RETRIABLE_CODES = frozenset(
    {
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)
_INVALID_PARAMETER = "InvalidParameterValueException"
# Codes this adapter gives a 2xx answer it cannot take as the call's result.
_INCOMPLETE_ANSWER = "IncompleteAnswer"
_UNPARSEABLE_ANSWER = "UnparseableAnswer"
_INVALID_TOKEN_PHRASE = "invalid checkpoint token"


class Kind(enum.Enum):
    """What a failed call is worth: a retry here, a new invocation, or nothing."""

    TRANSIENT = "transient"  # retry in-process, then retriable
    INVALID_TOKEN = "invalid token"
    RETRIABLE = "retriable"  # a new invocation may succeed; retrying at once would not
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Failure:
    """A failed call, classified: its kind, the service's (or this adapter's) code, the detail."""

    kind: Kind
    code: str
    detail: str


def classify(error: Exception) -> Failure | None:
    """Say what kind of failure ``error`` is, or None when it did not come from botocore."""
    from botocore import exceptions as boto_errors

    if isinstance(error, boto_errors.ClientError):
        return classify_client_error(error.response)
    if isinstance(error, boto_errors.ConnectionError | boto_errors.HTTPClientError):
        return Failure(Kind.TRANSIENT, type(error).__name__, str(error))
    if isinstance(error, boto_errors.ParamValidationError):
        return Failure(Kind.PERMANENT, type(error).__name__, str(error))
    if isinstance(error, boto_errors.BotoCoreError):
        # Missing or expired credentials and the like: a new invocation may be luckier.
        return Failure(Kind.RETRIABLE, type(error).__name__, str(error))
    if _raised_by_botocore_parser(error):
        # A body of the wrong shape (a JSON list, ``null``, bytes that are not UTF-8) makes
        # botocore's parser fail with a plain Python error: garbled on the way, like a body
        # cut short, so worth asking again.
        return Failure(
            Kind.TRANSIENT,
            _UNPARSEABLE_ANSWER,
            f"botocore could not parse the answer's body ({type(error).__name__}: {error})",
        )
    return None


def _raised_by_botocore_parser(error: Exception) -> bool:
    """Whether ``error`` was raised inside botocore's response parsers."""
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__") == "botocore.parsers":
            return True
        frame = frame.tb_next
    return False


def incomplete(
    operation: str, response: Mapping[str, Any], required: tuple[str, ...]
) -> Failure | None:
    """Return a transient failure when a 2xx ``response`` lacks one of ``required``."""
    # An empty string is as absent as a missing key (an empty token cannot be used); an
    # empty list of operations or an empty state is a real answer.
    missing = [key for key in required if response.get(key) in (None, "")]
    if not missing:
        return None
    metadata_ = response.get("ResponseMetadata") or {}
    status = metadata_.get("HTTPStatusCode") or "2xx"
    detail = (
        f"HTTP {status} answer without {' or '.join(missing)}, which {operation} always "
        "returns here: a garbled answer (a body cut short, empty or not JSON, which botocore "
        "reads as an empty one), not a result to act on"
    )
    if request_id := metadata_.get("RequestId"):
        detail += f" (request id {request_id})"
    return Failure(Kind.TRANSIENT, _INCOMPLETE_ANSWER, detail)


def classify_client_error(response: Mapping[str, Any]) -> Failure:
    """Classify an error answer of the service by its code and HTTP status."""
    details = response.get("Error") or {}
    metadata_ = response.get("ResponseMetadata") or {}
    code = str(details.get("Code") or "UnknownError")
    message = str(details.get("Message") or "")
    status = metadata_.get("HTTPStatusCode")
    detail = f"HTTP {status}: {message}" if status else message
    if request_id := metadata_.get("RequestId"):
        detail += f" (request id {request_id})"

    if code in _NON_RETRIABLE_CODES:
        kind = Kind.PERMANENT
    elif code in _THROTTLING_CODES or status == 429 or (status and status >= 500):
        kind = Kind.TRANSIENT
    elif code == _INVALID_PARAMETER and _INVALID_TOKEN_PHRASE in message.lower():
        kind = Kind.INVALID_TOKEN
    elif status and 400 <= status < 500:
        kind = Kind.PERMANENT
    else:
        kind = Kind.RETRIABLE
    return Failure(kind, code, detail)


def to_error(
    failure: Failure, operation: str, execution_arn: str, attempts: int
) -> CheckpointError:
    """Build the core error for a failure that will not be retried here."""
    what = f"{operation} failed with {failure.code}: {failure.detail}"
    if failure.kind is Kind.INVALID_TOKEN:
        return InvalidCheckpointTokenError(
            f"{operation} rejected the checkpoint token ({failure.code}: {failure.detail}); "
            "Lambda will retry the invocation with a fresh token",
            execution_arn=execution_arn,
        )
    if failure.kind is Kind.TRANSIENT:
        return CheckpointError(
            f"{what} (gave up after {attempts} attempts)",
            retriable=True,
            execution_arn=execution_arn,
        )
    return CheckpointError(
        what, retriable=failure.kind is Kind.RETRIABLE, execution_arn=execution_arn
    )
