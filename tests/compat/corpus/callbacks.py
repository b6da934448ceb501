"""Corpus: callbacks, their answers (JSON, plain text, look-alikes of our envelope), failures."""

from typing import Any

from aws_durable_execution_sdk_python import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    DurableContext,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
from aws_durable_execution_sdk_python.serdes import JsonSerDes


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "raw":
        callback = context.create_callback("approval")
        answer = callback.result()
        return {"answer": answer, "type": type(answer).__name__}
    if case == "json":
        config = CallbackConfig(serdes=JsonSerDes())
        callback = context.create_callback(name="approval", config=config)
        return {"answer": callback.result()}
    if case == "failed":
        callback = context.create_callback("approval")
        try:
            callback.result()
        except CallbackExternalError as error:
            return {
                "external": True,
                "str": str(error),
                "message": error.message,
                "data": error.data,
                "type": error.error_type.rsplit(".", 1)[-1],
            }
    if case == "timeout":
        config = CallbackConfig(Duration.from_seconds(30))
        callback = context.create_callback("approval", config)
        try:
            callback.result()
        except CallbackTimeoutError as error:
            return {"timed_out": True, "type": error.error_type.rsplit(".", 1)[-1]}
        except CallbackError as error:
            return {"other": type(error).__name__}
    if case == "escapes":
        context.create_callback("approval").result()
    if case == "two":
        first = context.create_callback("first")
        second = context.create_callback("second")
        return [first.result(), second.result()]
    return None


SCENARIOS = {
    "raw_json_text": {
        "event": {"case": "raw"},
        "answers": [{"callback": "approval", "succeed": '{"approved": true, "by": "ana"}'}],
    },
    "raw_plain_text": {
        "event": {"case": "raw"},
        "answers": [{"callback": "approval", "succeed": "successful"}],
    },
    "raw_envelope_look_alike": {
        "event": {"case": "raw"},
        "answers": [{"callback": "approval", "succeed": '{"t": "d", "v": "1.50"}'}],
    },
    "raw_empty": {
        "event": {"case": "raw"},
        "answers": [{"callback": "approval", "succeed": ""}],
    },
    "decoded_json": {
        "event": {"case": "json"},
        "answers": [{"callback": "approval", "succeed": '{"t": "d", "v": "1.50"}'}],
    },
    "failed": {
        "event": {"case": "failed"},
        "answers": [
            {
                "callback": "approval",
                "fail": {"ErrorType": "Rejected", "ErrorMessage": "no", "ErrorData": "{}"},
            }
        ],
    },
    "timeout": {
        "event": {"case": "timeout"},
        "answers": [{"callback": "approval", "ignore": True}],
    },
    "escapes": {
        "event": {"case": "escapes"},
        "answers": [{"callback": "approval", "fail": {"ErrorMessage": "refused"}}],
    },
    "two": {
        "event": {"case": "two"},
        "answers": [
            {"callback": "second", "succeed": "b"},
            {"callback": "first", "succeed": "a"},
        ],
    },
}
