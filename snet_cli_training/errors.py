"""The exception tree of the plugin and its exit codes (the single source; docs/commands.md#exit-codes)."""

from __future__ import annotations

import enum



class ExitStatus(enum.IntEnum):
    """Exit codes of `snet training`."""

    OK = 0
    ERROR = 1
    USAGE = 2
    DATASET_REJECTED = 3
    MODEL_FAILED = 4
    TIMED_OUT = 5
    NOT_CONFIRMED = 6
    INTERRUPTED = 130


# What each exit code tells a user (the --help epilog and the man page's EXIT STATUS say it from here).
EXIT_MEANINGS = {
    ExitStatus.OK: "done",
    ExitStatus.ERROR: "error (one ERROR: line on stderr)",
    ExitStatus.USAGE: "usage error",
    ExitStatus.DATASET_REJECTED: "the dataset does not meet the method's requirements",
    ExitStatus.MODEL_FAILED: "wait: the model ended ERRORED or DELETED",
    ExitStatus.TIMED_OUT: "wait: timed out, the model is still in progress",
    ExitStatus.NOT_CONFIRMED: "not confirmed: nothing was paid or deleted",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C)",
}


class TrainingError(Exception):
    """Base of every error the plugin reports as `ERROR: <message>`; exit 1 unless a subclass says otherwise."""

    exit_status = ExitStatus.ERROR


class UserInputError(TrainingError):
    """Bad input from the user: a file, a flag value, a combination of flags."""


class DatasetPathError(UserInputError):
    """The dataset path is missing, is neither file nor directory, or cannot be read."""


class StateFileError(TrainingError):
    """One of the plugin's own files (store, cache, journal) cannot be read or written safely."""


class ConfigurationError(TrainingError):
    """snet-cli's session lacks something the command needs (identity, network, addresses)."""


class NotConfirmed(TrainingError):
    """A payment or deletion needed consent and did not get it; `document` is the unpaid quote, when there is one."""

    exit_status = ExitStatus.NOT_CONFIRMED

    def __init__(self, message: str, document: object = None) -> None:
        super().__init__(message)
        self.document = document


class PaidButUnfinished(TrainingError):
    """The daemon accepted a payment, then something else failed: the message says it was paid and how to go on.

    `document` is the payment's result (printed with --json); a rerun of the same work does not pay again.
    """

    def __init__(self, message: str, document: object = None, *, resume: str = "") -> None:
        super().__init__(message)
        self.document = document
        self.resume = resume

    def because(self, cause: TrainingError) -> PaidButUnfinished:
        """This error, completed with what failed after the payment (and that failure's exit status)."""
        what = "it could not be recorded locally" if isinstance(cause, StateFileError) else "the command failed"
        unfinished = PaidButUnfinished(f"{self} {what}: {cause}. Nothing is lost: a rerun does not pay again"
                                       + (f"; resume with `{self.resume}`" if self.resume else ""),
                                       self.document, resume=self.resume)
        unfinished.exit_status = cause.exit_status
        return unfinished


class DaemonError(TrainingError):
    """The daemon refused a request or could not be reached."""

    def __init__(self, message: str, *, endpoint: str = "", code: str = "", details: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.code = code
        self.details = details


class DaemonUnavailable(DaemonError):
    """The daemon did not answer (down, unreachable, or past the deadline)."""


class TrainingDisabled(DaemonError):
    """The service's daemon has no training, or it is switched off."""


class ModelNotFound(DaemonError):
    """The daemon has no such model, or the caller may not see it."""


class AccessDenied(DaemonError):
    """The caller is not allowed to do this to the model (not the creator, not in the address list)."""


class AuthorizationExpired(DaemonError):
    """The signed authorization was refused (stale block, bad signature); a fresh one may pass."""


class UploadUnsupported(DaemonError):
    """The daemon fails every upload (snet-daemon v6.2.0 to v6.2.3); nothing is charged."""


class PaymentError(DaemonError):
    """The daemon refused a payment (price mismatch, nonce, channel funds, expiry)."""


class ChannelError(TrainingError):
    """The client's payment channel is missing, short of funds or about to expire."""


class ChainUnavailable(TrainingError):
    """The Ethereum node of snet-cli's session did not answer (needed for the current block)."""


class IpfsUnavailable(TrainingError):
    """The IPFS node of snet-cli's session did not answer (needed for service and organization metadata)."""


class SigningError(TrainingError):
    """snet-cli's session identity could not sign (wrong password, device locked or absent)."""
