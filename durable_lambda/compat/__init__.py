"""Compatibility layers: run code written for another durable SDK on durable-lambda.

``durable_lambda.compat.aws`` mirrors the official AWS SDK for durable functions in Python
(``aws_durable_execution_sdk_python`` 3.0.0): its module names, class names and synchronous
``DurableContext``, so a handler written for it runs here with only its imports changed.
"""
