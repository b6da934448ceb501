"""``aws_durable_execution_sdk_python.concurrency``: what map and parallel return."""
