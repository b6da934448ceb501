"""Business logic and helpers of the data-pipeline example."""
