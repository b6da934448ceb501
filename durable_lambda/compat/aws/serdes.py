"""``aws_durable_execution_sdk_python.serdes``: serializers, under the official SDK's names.

``ExtendedTypeSerDes`` is durable-lambda's ``EnvelopeSerDes`` (the official SDK's bytes);
``JsonSerDes`` is plain JSON, as the official one is (``PlainJsonSerDes``); ``PassThroughSerDes``
hands text over unchanged. A user serializer subclasses ``SerDes`` and implements
``serialize(value, serdes_context)`` and ``deserialize(data, serdes_context)``.
"""

from __future__ import annotations

from durable_lambda.core.operations.callback import PlainJsonSerDes as JsonSerDes
from durable_lambda.core.serdes import EnvelopeSerDes as ExtendedTypeSerDes
from durable_lambda.core.serdes import PassThroughSerDes, SerDes, SerDesContext

__all__ = ["ExtendedTypeSerDes", "JsonSerDes", "PassThroughSerDes", "SerDes", "SerDesContext"]
