"""A dataset made ready to check and to send: an archive file as it is, or a folder packed once."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence

from snet_cli_training.dataset import folder
from snet_cli_training.dataset.entries import Batch, CorruptArchive
from snet_cli_training.dataset.folder import LeftOut
from snet_cli_training.dataset.formats import TAR_FORMATS, detect_format, folder_archive_format
from snet_cli_training.dataset.tar_reader import tar_batches
from snet_cli_training.dataset.zip_reader import zip_batches
from snet_cli_training.errors import DatasetPathError


class PreparedDataset:
    """`with PreparedDataset(path, dataset_types) as prepared:` the file to check and send is `prepared.archive_path`.

    For an archive file that is the file itself. A folder is packed, once, into a private
    temporary file (0600, in a 0700 folder) named `<folder name>.<format>`, the format being
    the first of zip, tar.gz, tar that DATASET_TYPES allows. Also set on entry: `path` (as
    given), `format`, `is_directory`, `size_bytes` (of the archive) and `left_out` (what the
    folder holds that the archive does not: links, special files). The temporary folder is
    removed on exit, however the block ends, and when packing itself fails or is interrupted.
    """

    def __init__(self, path: str | os.PathLike[str], dataset_types: Sequence[str] = ()) -> None:
        self.path = os.fspath(path)
        self.dataset_types = tuple(dataset_types)
        self.archive_path = ""
        self.format = ""
        self.is_directory = False
        self.size_bytes = 0
        self.left_out: list[LeftOut] = []
        self._temp_dir: str | None = None

    def __enter__(self) -> PreparedDataset:
        try:
            self._prepare()
        except BaseException:
            self._remove_temp_dir()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._remove_temp_dir()

    def batches(self) -> Iterator[Batch]:
        """The entries of the archive, a batch at a time; CorruptArchive when it turns out not to be a valid one."""
        if self.format == "zip":
            return zip_batches(self.archive_path)
        if self.format in TAR_FORMATS:
            return tar_batches(self.archive_path, self.format)
        raise CorruptArchive("not a zip or tar archive")

    def _prepare(self) -> None:
        if not self.path:  # pathlib turns "" into ".": an empty argument must not mean the current folder
            raise DatasetPathError("dataset path is empty")
        mode = _stat(self.path).st_mode
        if stat.S_ISDIR(mode):
            self.is_directory = True
            self.format = folder_archive_format(self.dataset_types)
            self._pack()
        elif stat.S_ISREG(mode):
            self.archive_path = self.path
            try:
                self.format = detect_format(self.path)
            except OSError as exc:
                raise DatasetPathError(f"cannot read dataset {self.path}: {exc.strerror or exc}") from exc
        else:
            raise DatasetPathError(f"dataset {self.path} is neither a file nor a directory")
        self.size_bytes = _stat(self.archive_path).st_size

    def _pack(self) -> None:
        base = os.path.basename(os.path.abspath(self.path)) or "dataset"
        self._temp_dir = temp_dir = tempfile.mkdtemp(prefix="snet-training-upload-")
        self.archive_path = os.path.join(temp_dir, f"{base}.{self.format}")
        descriptor = os.open(self.archive_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "wb") as out:
            self.left_out = folder.pack_folder(self.path, self.format, out, not_this=temp_dir)

    def _remove_temp_dir(self) -> None:
        temp_dir, self._temp_dir = self._temp_dir, None
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError as exc:
        raise DatasetPathError(f"dataset not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise DatasetPathError(f"cannot read dataset {path}: {exc}") from exc
