"""Archives -> entries: formats, detection, hostile archives, folders. Archives are built on the fly."""

from __future__ import annotations

import io
import os
import struct
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snet_cli_training.dataset.entries import DIRECTORY, FILE, HARDLINK, SYMLINK, CorruptArchive, Entry
from snet_cli_training.dataset.folder import pack_folder
from snet_cli_training.dataset.formats import detect_format, folder_archive_format
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.errors import DatasetPathError

FILES = {"a/one.txt": b"hello", "a/two.JPG": b"x" * 3000, "b.png": b""}
TAR_MODES = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}


def make_zip(path: Path, files: dict[str, bytes], directories: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in directories:
            archive.writestr(zipfile.ZipInfo(name), b"")
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def tar_member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info, io.BytesIO(data)


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, io.BytesIO]], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as archive:
        for info, data in members:
            archive.addfile(info, data if info.isreg() else None)
    return path


def entries(path: Path, dataset_types: tuple[str, ...] = ()) -> list[Entry]:
    with PreparedDataset(path, dataset_types) as prepared:
        return [entry for batch in prepared.batches() for entry in batch.entries()]


def file_members() -> list[tuple[tarfile.TarInfo, io.BytesIO]]:
    return [tar_member(name, data) for name, data in FILES.items()]


def test_zip_entries_with_sizes_and_directories(tmp_path):
    path = make_zip(tmp_path / "d.zip", FILES, directories=("a/",))
    assert entries(path) == [Entry("a/", 0, DIRECTORY), *(Entry(n, len(d), FILE) for n, d in FILES.items())]


@pytest.mark.parametrize("fmt", list(TAR_MODES))
def test_tar_formats_stream_their_members(tmp_path, fmt):
    path = make_tar(tmp_path / "data.bin", [tar_member("a", kind=tarfile.DIRTYPE), *file_members()], TAR_MODES[fmt])
    with PreparedDataset(path) as prepared:
        assert (prepared.format, prepared.size_bytes, prepared.archive_path) == (fmt, path.stat().st_size, str(path))
    assert entries(path) == [Entry("a", 0, DIRECTORY), *(Entry(n, len(d), FILE) for n, d in FILES.items())]


def test_tar_links_and_specials_have_their_kind(tmp_path):
    path = make_tar(tmp_path / "l.tar", [
        tar_member("s", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        tar_member("h", kind=tarfile.LNKTYPE, link="s"),
        tar_member("f", kind=tarfile.FIFOTYPE),
    ])
    assert [entry.kind for entry in entries(path)] == [SYMLINK, HARDLINK, "other"]


def test_zip_symlink_from_external_attributes(tmp_path):
    info = zipfile.ZipInfo("link")
    info.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
        archive.writestr(info, "target")
    assert entries(tmp_path / "s.zip") == [Entry("link", 6, SYMLINK)]


def test_detection_by_content_before_suffix(tmp_path):
    zipped = make_zip(tmp_path / "really_zip.tar.gz", FILES)
    tarred = make_tar(tmp_path / "really.zip", file_members(), "w:gz")
    assert detect_format(str(zipped)) == "zip"
    assert detect_format(str(tarred)) == "tar.gz"


@pytest.mark.parametrize(
    ("name", "fmt"), [("x.TGZ", "tar.gz"), ("x.tar.bz2", "tar.bz2"), ("x.txz", "tar.xz"), ("x.zip", "zip"), ("x.bin", "unknown")]
)
def test_detection_falls_back_to_the_suffix(tmp_path, name, fmt):
    (tmp_path / name).write_bytes(b"not an archive")
    assert detect_format(str(tmp_path / name)) == fmt


@pytest.mark.parametrize("name", ["x.zip", "x.tar.gz", "x.tar", "x.bin"])
def test_garbage_is_corrupt_whatever_its_name(tmp_path, name):
    (tmp_path / name).write_bytes(os.urandom(2000))
    with pytest.raises(CorruptArchive):
        entries(tmp_path / name)


@pytest.mark.parametrize("fmt", list(TAR_MODES))
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.7])
def test_truncated_tars_are_corrupt(tmp_path, fmt, keep):
    members = [tar_member(f"f{i}.bin", os.urandom(5000)) for i in range(4)]
    data = make_tar(tmp_path / f"t.{fmt}", members, TAR_MODES[fmt]).read_bytes()
    (tmp_path / f"t.{fmt}").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptArchive):
        entries(tmp_path / f"t.{fmt}")


def test_garbage_between_tar_members_is_corrupt(tmp_path):
    data = bytearray(make_tar(tmp_path / "g.tar", file_members()).read_bytes())
    data[4608:5120] = b"\xff" * 512  # the third member's header (after 512 + 512 + 512 + 3072 bytes)
    (tmp_path / "g.tar").write_bytes(bytes(data))
    with pytest.raises(CorruptArchive):
        entries(tmp_path / "g.tar")


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.95])
def test_truncated_zips_are_corrupt(tmp_path, keep):
    data = make_zip(tmp_path / "t.zip", {f"f{i}": os.urandom(3000) for i in range(5)}).read_bytes()
    (tmp_path / "t.zip").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptArchive):
        entries(tmp_path / "t.zip")


def test_encrypted_zip_entry_is_corrupt(tmp_path):
    data = bytearray(make_zip(tmp_path / "e.zip", {"secret.txt": b"data"}).read_bytes())
    central = data.index(b"PK\x01\x02")
    data[6] |= 1
    data[central + 8] |= 1
    (tmp_path / "e.zip").write_bytes(bytes(data))
    with pytest.raises(CorruptArchive, match="encrypted"):
        entries(tmp_path / "e.zip")


def test_central_and_local_headers_disagreeing_is_corrupt(tmp_path):
    data = bytearray(make_zip(tmp_path / "m.zip", {"name.txt": b"data"}).read_bytes())
    data[30] = ord("N")  # the local header's copy of the name
    (tmp_path / "m.zip").write_bytes(bytes(data))
    with pytest.raises(CorruptArchive, match="local header"):
        entries(tmp_path / "m.zip")


def test_entry_claiming_more_bytes_than_the_file_has_is_corrupt(tmp_path):
    data = bytearray(make_zip(tmp_path / "c.zip", {"a.txt": b"x" * 100}).read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 20:central + 24] = struct.pack("<L", 10**6)  # central compressed size
    data[18:22] = struct.pack("<L", 10**6)  # local compressed size
    (tmp_path / "c.zip").write_bytes(bytes(data))
    with pytest.raises(CorruptArchive, match="does not have"):
        entries(tmp_path / "c.zip")


def crafted_bomb_zip(path: Path, claimed: int = 1 << 30) -> Path:
    """One DEFLATE entry of 16 bytes that claims `claimed` uncompressed bytes, headers written by hand."""
    name, payload = b"bomb.txt", b"\x03\x00" * 8
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(payload), claimed, len(name), 0) + name + payload
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(payload), claimed, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


def test_zip_bomb_sizes_come_from_headers_at_once(tmp_path):
    path = crafted_bomb_zip(tmp_path / "bomb.zip")
    started = time.perf_counter()
    assert entries(path) == [Entry("bomb.txt", 1 << 30, FILE)]
    assert time.perf_counter() - started < 1


def test_zip64_archive(tmp_path):
    with zipfile.ZipFile(tmp_path / "z64.zip", "w") as archive:
        for i in range(3):
            with archive.open(f"f{i}.txt", "w", force_zip64=True) as member:
                member.write(b"abc")
    data = bytearray((tmp_path / "z64.zip").read_bytes())
    assert b"PK\x06\x06" not in data  # small archives get no zip64 end record: add one by hand
    end = data.rindex(b"PK\x05\x06")
    _, _, _, _, count, size, offset, _ = struct.unpack_from("<4s4H2LH", data, end)
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    tail = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    (tmp_path / "z64.zip").write_bytes(bytes(data[:end]) + record + locator + tail)
    assert entries(tmp_path / "z64.zip") == [Entry(f"f{i}.txt", 3, FILE) for i in range(3)]


def test_empty_zip_has_no_entries(tmp_path):
    make_zip(tmp_path / "e.zip", {})
    assert entries(tmp_path / "e.zip") == []


def test_folder_packs_regular_files_sorted_and_leaves_links_out_unfollowed(tmp_path):
    root = tmp_path / "data"
    (root / "a").mkdir(parents=True)
    (root / "a" / "z.txt").write_text("z")
    (root / "a.txt").write_text("top")
    (root / "b").mkdir()
    (root / "link").symlink_to(root / "a.txt")
    (root / "dirlink").symlink_to(root / "a")
    with PreparedDataset(root) as prepared:
        assert (prepared.format, prepared.is_directory) == ("zip", True)
        assert [entry for batch in prepared.batches() for entry in batch.entries()] == [Entry("a.txt", 3, FILE), Entry("a/z.txt", 1, FILE)]
        assert [(item.position, item.name, item.kind) for item in prepared.left_out] == [(2, "dirlink", SYMLINK), (2, "link", SYMLINK)]


@pytest.mark.parametrize(("types", "fmt"), [((), "zip"), (("tar", "tar.gz"), "tar.gz"), (("tar",), "tar"), (("tar.xz",), "zip")])
def test_folder_archive_format_follows_dataset_type(types, fmt):
    assert folder_archive_format(types) == fmt


@pytest.mark.parametrize("fmt", ["zip", "tar.gz", "tar"])
def test_folder_size_is_that_of_the_archive_upload_sends(tmp_path, fmt):
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    for i in range(20):
        (root / "sub" / f"{i}.txt").write_bytes(os.urandom(i * 100) + b"a" * 1000)
    with open(tmp_path / "built", "wb") as out:
        pack_folder(str(root), fmt, out)
    with PreparedDataset(root, (fmt,)) as prepared:
        assert prepared.size_bytes == os.path.getsize(prepared.archive_path) == (tmp_path / "built").stat().st_size
        assert detect_format(prepared.archive_path) == fmt
        names = [entry.name for batch in prepared.batches() for entry in batch.entries()]
    assert names == [f"sub/{i}.txt" for i in sorted(range(20), key=str)]


def test_missing_path_is_a_path_error(tmp_path):
    with pytest.raises(DatasetPathError, match="not found"), PreparedDataset(tmp_path / "nope.zip"):
        pass


def test_fifo_path_is_neither_file_nor_directory(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(DatasetPathError, match="neither"), PreparedDataset(tmp_path / "fifo"):
        pass


def test_unreadable_file_is_a_path_error(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "x.zip", FILES)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads everything: make the OS refuse the way it refuses other users
        real_open = open

        def refusing_open(file, *args, **kwargs):
            if os.fspath(file) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", refusing_open)
    with pytest.raises(DatasetPathError, match="cannot read"), PreparedDataset(path):
        pass


names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.dictionaries(names, st.integers(0, 3000), max_size=6), fmt=st.sampled_from(["zip", "tar", "tar.gz"]))
def test_any_names_and_sizes_come_back_as_written(tmp_path, members, fmt):
    path = tmp_path / f"fuzz.{fmt}"
    if fmt == "zip":
        written = {name: b"a" * size for name, size in members.items()}
        make_zip(path, written)
        expected = [Entry(name, size, DIRECTORY if name.endswith("/") else FILE) for name, size in members.items()]
    else:
        members = {name.rstrip("/"): size for name, size in members.items() if name.rstrip("/")}
        make_tar(path, [tar_member(name, b"a" * size) for name, size in members.items()], TAR_MODES[fmt])
        expected = [Entry(name, size, FILE) for name, size in members.items()]
    assert entries(path) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_a_flipped_byte_never_crashes_the_zip_reader(tmp_path, position, value):
    data = bytearray(make_zip(tmp_path / "f.zip", FILES).read_bytes())
    data[position % len(data)] = value
    (tmp_path / "f.zip").write_bytes(bytes(data))
    try:
        entries(tmp_path / "f.zip")
    except CorruptArchive:
        pass
