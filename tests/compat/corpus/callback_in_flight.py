"""Corpus: a handler that suspends on a callback, for executions moved between the SDKs."""

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    order: dict[str, Any] = context.step(lambda _: {"id": event["order"], "n": 2}, name="create")
    if event.get("wait_for_callback"):
        answer = context.wait_for_callback(lambda callback_id, _: None, name="approval")
    else:
        config = CallbackConfig(timeout=Duration.from_minutes(10))
        callback = context.create_callback("approval", config)
        context.step(lambda _: {"sent": callback.callback_id != ""}, name="notify")
        answer = callback.result()
    confirmed = context.step(lambda _: f"{order['id']}:{answer}", name="confirm")
    return {"order": order, "answer": answer, "type": type(answer).__name__, "confirmed": confirmed}


SCENARIOS = {
    "json_answer": {
        "event": {"order": "o-1"},
        "answers": [{"callback": "approval", "succeed": '{"approved": true}'}],
    },
    "text_answer": {
        "event": {"order": "o-2"},
        "answers": [{"callback": "approval", "succeed": "successful"}],
    },
    "wait_for_callback_text": {
        "event": {"order": "o-3", "wait_for_callback": True},
        "answers": [{"callback": "approval create callback id", "succeed": "successful"}],
    },
}
