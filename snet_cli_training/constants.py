"""Names and numbers every layer shares: model statuses, upload chunk sizes, deadlines and polling."""

from __future__ import annotations

# training.Status, by number (docs/protocol.md#statuses).
STATUSES = ("CREATED", "VALIDATING", "VALIDATED", "TRAINING", "READY_TO_USE", "ERRORED", "DELETED")
# The statuses a model passes through in order; ERRORED and DELETED end a model's progress.
PROGRESS = STATUSES[:5]
FAILED = ("ERRORED", "DELETED")

TOKEN = "FET"
# The paid RPCs (and a service call) as messages name them.
RPC_WORDS = {"upload_and_validate": "the upload", "validate_model": "validation", "train_model": "training",
             "call": "the call"}

# One upload message (chunk + authorization + the other UploadInput fields) must stay under the
# daemon's default 4 MiB (4,194,304-byte) gRPC message cap; 4,000,000 bytes leaves ~190 kB.
DEFAULT_CHUNK_BYTES = 4_000_000
MAX_CHUNK_BYTES = 4_000_000

# Ethereum's slot time, for channel expiries given as durations.
SECONDS_PER_BLOCK = 12

# The daemon holds a whole upload in memory before its provider sees any of it: past this a small
# daemon host may run out, and a daemon that dies keeps the payment channel's lock.
LARGE_UPLOAD_BYTES = 512 * 1024 * 1024

RPC_TIMEOUT_SECONDS = 30.0
UPLOAD_TIMEOUT_SECONDS = 3600.0
WAIT_TIMEOUT_SECONDS = 3600.0
WAIT_INTERVAL_SECONDS = 2.0
MAX_WAIT_INTERVAL_SECONDS = 30.0


def status_name(number: int) -> str:
    """A status number as its name; a number this client does not know (a newer daemon) as `UNKNOWN(n)`."""
    return STATUSES[number] if 0 <= number < len(STATUSES) else f"UNKNOWN({number})"


def status_number(name: str) -> int:
    """A status name as its number (ValueError for a name that is not a status)."""
    return STATUSES.index(name.upper())
