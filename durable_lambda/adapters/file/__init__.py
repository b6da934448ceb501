"""Executions kept as files on the local disk: crash-safe, shareable between processes."""

from durable_lambda.adapters.file.errors import (
    CorruptExecutionError,
    ExecutionLockedError,
    ExecutionStoreError,
    StorageFullError,
    StoragePermissionError,
)
from durable_lambda.adapters.file.locking import ExecutionLock
from durable_lambda.adapters.file.store import DEFAULT_ROOT, FileExecutionStore

__all__ = [
    "DEFAULT_ROOT",
    "CorruptExecutionError",
    "ExecutionLock",
    "ExecutionLockedError",
    "ExecutionStoreError",
    "FileExecutionStore",
    "StorageFullError",
    "StoragePermissionError",
]
