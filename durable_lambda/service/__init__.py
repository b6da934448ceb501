"""The Lambda durable execution service, played locally: a bounded context of its own, pure.

Everything the service does with an execution is here, written once, as functions of an
``ExecutionRecord`` and the time (``now`` is always passed in): no I/O, no clock, no randomness.
The SDK core never imports this package; the local service adapter
(``durable_lambda.adapters.local``) loads a record from an ``ExecutionStore``
(``service.ports``), calls these functions and saves it.
"""
