"""The conformance suites run with the other tests; ``pytest -m conformance`` runs them alone."""
