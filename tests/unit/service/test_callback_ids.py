"""Callback ids of the local service: routable to their execution, impossible to guess."""

from __future__ import annotations

import base64
import json

import pytest
from service_builders import NOW, A, T, checkpoint, update

from durable_lambda.service import execution_arn, start_execution
from durable_lambda.service.callbacks import (
    UnknownCallbackError,
    callback_id_for,
    execution_arn_from_callback_id,
)

ARN = execution_arn("orders", "run-1", "0123456789abcdef0123456789abcdef")


def test_an_id_names_its_execution_and_depends_on_the_secret() -> None:
    first = callback_id_for(ARN, "op-1", "key-one")

    assert execution_arn_from_callback_id(first) == ARN
    assert first == callback_id_for(ARN, "op-1", "key-one")  # the same on every replay
    assert first != callback_id_for(ARN, "op-1", "key-two")
    assert first != callback_id_for(ARN, "op-2", "key-one")
    assert first.split(".")[0] == callback_id_for(ARN, "op-2", "key-two").split(".")[0]
    tag = first.split(".")[1]
    assert len(tag) == 22  # 128 bits
    assert all(c.isalnum() or c in "-_" for c in first.replace(".", ""))


def test_an_id_is_shorter_than_the_guessable_one_it_replaces() -> None:
    operation_id = "9b9a566e6a3acb025bf1e7f9316f877f4def1a4320ddf2c8674e0fa6ceea6d64"
    old = callback_id_for(ARN, operation_id)

    assert json.loads(base64.b64decode(old)) == [ARN, operation_id]  # what ids were until now
    assert len(callback_id_for(ARN, operation_id, "k" * 32)) < len(old)


def test_ids_of_both_forms_are_routed_and_junk_is_unknown() -> None:
    assert execution_arn_from_callback_id(callback_id_for(ARN, "op")) == ARN
    for junk in ["", ".", "%%%.abc", "abc.", "not base64", "W10=", "WzEsMl0=", "\u00e9.x"]:
        with pytest.raises(UnknownCallbackError):
            execution_arn_from_callback_id(junk)


def test_the_service_gives_a_callback_the_id_its_execution_secret_makes() -> None:
    keyed = start_execution(ARN, "orders", "{}", NOW, callback_key="secret")
    legacy = start_execution(ARN, "orders", "{}", NOW)

    for record in (keyed, legacy):
        checkpoint(record, update("c", T.CALLBACK, A.START))

    assert keyed.callback_key == "secret"
    assert list(keyed.callbacks) == [callback_id_for(ARN, "c", "secret")]
    assert list(legacy.callbacks) == [callback_id_for(ARN, "c")]
    details = keyed.operations["c"].CallbackDetails
    assert details is not None
    assert details.CallbackId == callback_id_for(ARN, "c", "secret")
