"""The conformance suites run with the rest of the tests; ``pytest -m conformance`` runs them alone."""
