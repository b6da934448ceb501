"""``python -m durable_lambda.app.cli``: the same as the ``durable-lambda`` command."""

from durable_lambda.app.cli import main

raise SystemExit(main())
