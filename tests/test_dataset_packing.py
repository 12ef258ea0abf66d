"""PreparedDataset: a folder packed once into a private temporary archive, checked and sent as it is, then removed."""

from __future__ import annotations

import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from snet_cli_training.dataset import folder
from snet_cli_training.dataset.check import check_dataset, check_prepared
from snet_cli_training.dataset.formats import detect_format
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.dataset.requirements import MethodLimits
from tests.test_dataset_robustness import time_bound


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path, monkeypatch) -> Path:
    """Temporary archives land here, so a test can see that none is left behind."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def make_tree(root: Path) -> Path:
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha" * 1000)
    (root / "b" / "c.png").write_bytes(os.urandom(5000))
    return root


@pytest.mark.parametrize(("types", "fmt"), [((), "zip"), (("tar",), "tar"), (("tar.gz", "zip"), "zip"), (("tar.gz",), "tar.gz")])
def test_a_directory_is_packed_in_the_allowed_type(tmp_path, private_tempdir, types, fmt):
    root = make_tree(tmp_path / "photos")
    with PreparedDataset(root, types) as prepared:
        packed = Path(prepared.archive_path)
        assert (prepared.path, prepared.format, prepared.is_directory) == (str(root), fmt, True)
        assert packed.name == f"photos.{fmt}" and packed.parent.parent == private_tempdir
        assert prepared.size_bytes == packed.stat().st_size
        assert detect_format(str(packed)) == fmt
        if fmt == "zip":
            with zipfile.ZipFile(packed) as archive:
                assert archive.namelist() == ["a.txt", "b/c.png"]
                assert archive.read("a.txt") == b"alpha" * 1000
        else:
            with tarfile.open(packed) as archive:
                assert archive.getnames() == ["a.txt", "b/c.png"]
                assert archive.extractfile("b/c.png").read() == (root / "b" / "c.png").read_bytes()
    assert list(private_tempdir.iterdir()) == [], "the temporary archive outlived the block"


def test_the_packed_archive_is_private_and_removed_when_the_block_returns_early(tmp_path, private_tempdir):
    def modes() -> tuple[int, int]:
        with PreparedDataset(make_tree(tmp_path / "d")) as prepared:
            return os.stat(os.path.dirname(prepared.archive_path)).st_mode & 0o777, os.stat(prepared.archive_path).st_mode & 0o777

    assert modes() == (0o700, 0o600), "the temporary folder and archive are private"
    assert list(private_tempdir.iterdir()) == []


def test_the_packed_archive_is_removed_when_the_consumer_raises(tmp_path, private_tempdir):
    with pytest.raises(RuntimeError, match="daemon went away"), PreparedDataset(make_tree(tmp_path / "d")) as prepared:
        assert os.path.isfile(prepared.archive_path)
        raise RuntimeError("daemon went away")
    assert list(private_tempdir.iterdir()) == []


def test_ctrl_c_while_packing_leaves_nothing_behind(tmp_path, private_tempdir, monkeypatch):
    def interrupted(root, fmt, out, **options):
        out.write(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(folder, "pack_folder", interrupted)
    with pytest.raises(KeyboardInterrupt), PreparedDataset(make_tree(tmp_path / "d")):
        pytest.fail("the block ran although packing was interrupted")
    assert list(private_tempdir.iterdir()) == []


def test_an_archive_file_is_used_as_it_is(tmp_path, private_tempdir):
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    with PreparedDataset(path, ("tar",)) as prepared:
        assert (prepared.archive_path, prepared.format, prepared.is_directory, prepared.left_out) == (str(path), "zip", False, [])
        assert prepared.size_bytes == path.stat().st_size
    assert path.exists() and list(private_tempdir.iterdir()) == []


def test_a_folder_is_packed_once_for_the_check_and_the_upload(tmp_path, monkeypatch):
    packings = []
    real_pack = folder.pack_folder

    def counting_pack(root, fmt, out, **options):
        packings.append(root)
        return real_pack(root, fmt, out, **options)

    monkeypatch.setattr(folder, "pack_folder", counting_pack)
    limits = MethodLimits(dataset_files_type=("txt", "png"))
    with PreparedDataset(make_tree(tmp_path / "d"), limits.dataset_type) as prepared:
        report = check_prepared(prepared, limits)
        sent = Path(prepared.archive_path).read_bytes()
    assert report.ok and (report.files, report.size_bytes, report.format) == (2, len(sent), "zip")
    assert len(packings) == 1
    assert check_dataset(str(tmp_path / "d"), limits).to_dict() == report.to_dict()


def test_a_folder_that_holds_the_temporary_folder_is_packed_without_it(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "home")
    (root / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))  # say, `check-dataset ~` with TMPDIR=~/tmp
    with time_bound(20), PreparedDataset(root) as prepared:
        with zipfile.ZipFile(prepared.archive_path) as archive:
            assert archive.namelist() == ["a.txt", "b/c.png"], "the archive being written is not packed into itself"
    assert list((root / "tmp").iterdir()) == []
