"""What the service does with each type of operation update: one module per type.

Each of ``step``, ``context``, ``wait``, ``callback``, ``chained_invoke`` and ``execution``
holds its type's ``RULES`` (``rules.OperationRules``: the actions it accepts, its own checks,
and how an accepted update changes the record); ``rules`` holds the rules every type shares and
``updates`` checks and applies one update by the rules of its type.
"""
