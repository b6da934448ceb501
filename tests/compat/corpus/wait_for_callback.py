"""Corpus: wait_for_callback, its submitter, and every way it can fail."""

from typing import Any

from aws_durable_execution_sdk_python import (
    CallbackError,
    CallbackSubmitterError,
    DurableContext,
    durable_execution,
    durable_wait_for_callback,
)
from aws_durable_execution_sdk_python.config import Duration, WaitForCallbackConfig
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python.serdes import PassThroughSerDes
from aws_durable_execution_sdk_python.types import WaitForCallbackContext


@durable_wait_for_callback
def send_for_review(callback_id: str, context: WaitForCallbackContext, reviewer: str) -> None:
    context.logger.info("asking %s", reviewer)


def broken_submitter(callback_id: str, context: WaitForCallbackContext) -> None:
    raise RuntimeError("mail server down")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "named":
        return {"answer": context.wait_for_callback(lambda cid, ctx: None, name="review")}
    if case == "decorated":
        return {"answer": context.wait_for_callback(send_for_review("ana"))}
    if case == "unnamed":
        return {"answer": context.wait_for_callback(lambda cid, ctx: None)}
    if case == "pass_through":
        config = WaitForCallbackConfig(serdes=PassThroughSerDes())
        answer = context.wait_for_callback(lambda cid, ctx: None, name="review", config=config)
        return {"answer": answer}
    if case == "submitter_fails":
        config = WaitForCallbackConfig(retry_strategy=RetryPresets.none())
        try:
            context.wait_for_callback(broken_submitter, name="review", config=config)
        except CallbackSubmitterError as error:
            return {"str": str(error), "type": error.error_type.rsplit(".", 1)[-1]}
    if case == "external_failure":
        try:
            context.wait_for_callback(lambda cid, ctx: None, name="review")
        except CallbackError as error:
            return {
                "class": type(error).__name__,
                "str": str(error),
                "data": error.data,
                "type": error.error_type.rsplit(".", 1)[-1],
            }
    if case == "timeout":
        config = WaitForCallbackConfig(timeout=Duration.from_seconds(20))
        context.wait_for_callback(lambda cid, ctx: None, name="review", config=config)
    return None


SCENARIOS = {
    "named": {
        "event": {"case": "named"},
        "answers": [{"callback": "review create callback id", "succeed": '{"ok": 1}'}],
    },
    "decorated": {
        "event": {"case": "decorated"},
        "answers": [{"callback": "send_for_review create callback id", "succeed": "yes"}],
    },
    "unnamed": {
        "event": {"case": "unnamed"},
        "answers": [{"callback": "create callback id", "succeed": "yes"}],
    },
    "pass_through": {
        "event": {"case": "pass_through"},
        "answers": [{"callback": "review create callback id", "succeed": "approved"}],
    },
    "submitter_fails": {"event": {"case": "submitter_fails"}},
    "external_failure": {
        "event": {"case": "external_failure"},
        "answers": [
            {
                "callback": "review create callback id",
                "fail": {"ErrorType": "Rejected", "ErrorMessage": "no", "ErrorData": "why"},
            }
        ],
    },
    "timeout": {
        "event": {"case": "timeout"},
        "answers": [{"callback": "review create callback id", "ignore": True}],
    },
}
