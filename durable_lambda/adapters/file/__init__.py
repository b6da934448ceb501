"""Executions kept as files on the local disk: crash-safe, shareable between processes."""

from durable_lambda.adapters.file.errors import (
    CorruptExecutionError,
    ExecutionLockedError,
    ExecutionStoreError,
    StorageFullError,
    StoragePermissionError,
    UnsafeFileError,
)
from durable_lambda.adapters.file.listing import DamagedExecution, ExecutionListing
from durable_lambda.adapters.file.locking import ExecutionLock
from durable_lambda.adapters.file.recovery import RecordCopy, RepairOutcome, RepairReport
from durable_lambda.adapters.file.store import DEFAULT_ROOT, FileExecutionStore

__all__ = [
    "DEFAULT_ROOT",
    "CorruptExecutionError",
    "DamagedExecution",
    "ExecutionListing",
    "ExecutionLock",
    "ExecutionLockedError",
    "ExecutionStoreError",
    "FileExecutionStore",
    "RecordCopy",
    "RepairOutcome",
    "RepairReport",
    "StorageFullError",
    "StoragePermissionError",
    "UnsafeFileError",
]
