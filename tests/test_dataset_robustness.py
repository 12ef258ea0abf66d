"""Hostile and unusual datasets: each case once made the check hang, crash, misjudge or mislead."""

from __future__ import annotations

import contextlib
import lzma
import os
import re
import signal
import socket
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from snet_cli_training.dataset.check import check_dataset
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.dataset.requirements import MethodLimits
from snet_cli_training.errors import DatasetPathError

BLOCK = 512


class Hang(BaseException):
    """Raised into code that ran too long; a BaseException, so that no `except Exception` in the code can swallow it."""


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts a loop that would not end (a running pytest-timeout alarm is kept)."""
    def expired(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    started = time.monotonic()
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        remaining = max(outer_delay - (time.monotonic() - started), 0.001) if outer_delay else 0
        signal.setitimer(signal.ITIMER_REAL, remaining, outer_interval)
        signal.signal(signal.SIGALRM, previous)


def tar_header(name: bytes, size: int | bytes, kind: bytes = b"0", magic: bytes = b"ustar\x0000", prefix: bytes = b"") -> bytes:
    """One tar header block, checksum included; SIZE as a number (octal) or as the raw 12-byte field."""
    size_field = size if isinstance(size, bytes) else b"%011o\0" % size
    block = bytearray(BLOCK)
    block[0:len(name)] = name
    block[100:108] = b"0000644\0"
    block[124:136] = size_field
    block[136:148] = b"00000000000\0"
    block[156:157] = kind
    block[257:265] = magic
    block[345:345 + len(prefix)] = prefix
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def tar_data(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def pax_records(**records: str) -> bytes:
    """`LENGTH KEY=VALUE\\n` records, each LENGTH counting the whole record."""
    out = b""
    for key, value in records.items():
        body = f" {key}={value}\n".encode()
        length = len(body) + 1
        while len(str(length)) + len(body) != length:
            length += 1
        out += str(length).encode() + body
    return out


def base256(value: int) -> bytes:
    """A 12-byte GNU base-256 number field (0xFF first when negative)."""
    return (b"\xff" if value < 0 else b"\x80") + (value % 256 ** 11).to_bytes(11, "big")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def codes(path: Path, limits: MethodLimits | None = None) -> list[str]:
    with time_bound(10):
        return [violation.code for violation in check_dataset(str(path), limits or MethodLimits()).violations]


# Tar sizes that would send a reader backwards


def negative_size_tars(tmp_path: Path) -> dict[str, Path]:
    """Tars whose size field points one block back, at the header itself: a reader that trusts it reads that header forever."""
    first = tar_header(b"first.txt", 0)
    after = tar_header(b"after.txt", 3) + tar_data(b"abc") + bytes(2 * BLOCK)
    pax_local = tar_header(b"././@PaxHeader", len(pax_records(size="-1536")), b"x") + tar_data(pax_records(size="-1536"))
    pax_global = tar_header(b"././@PaxHeader", len(pax_records(size="-1536")), b"g") + tar_data(pax_records(size="-1536"))
    return {
        "base-256": write(tmp_path / "b256.tar", first + tar_header(b"a.txt", base256(-BLOCK)) + after),
        "octal": write(tmp_path / "octal.tar", first + tar_header(b"a.txt", b"-0001000\0\0\0\0") + after),
        "pax": write(tmp_path / "pax.tar", first + pax_local + tar_header(b"a.txt", 0) + after),
        "pax global": write(tmp_path / "paxg.tar", first + pax_global + tar_header(b"a.txt", 0) + after),
    }


@pytest.mark.parametrize("variant", ["base-256", "octal", "pax", "pax global"])
def test_a_negative_tar_size_is_corrupt_at_once(tmp_path, variant):
    path = negative_size_tars(tmp_path)[variant]
    with time_bound(10):
        report = check_dataset(str(path), MethodLimits())
    assert [violation.code for violation in report.violations] == ["corrupt_archive"]
    assert "negative" in report.violations[0].message


def test_a_negative_size_in_a_compressed_tar_is_corrupt_at_once(tmp_path):
    import gzip

    path = write(tmp_path / "n.tar.gz", gzip.compress(negative_size_tars(tmp_path)["base-256"].read_bytes()))
    assert codes(path) == ["corrupt_archive"]


@pytest.mark.parametrize("fmt", ["tar", "tar.gz"])
def test_a_tar_cut_inside_a_members_data_is_corrupt_after_the_members_before(tmp_path, fmt):
    import gzip

    size = 3 << 20  # past one read chunk
    whole = (tar_header(b"first.txt", 3) + tar_data(b"abc") + tar_header(b"big.txt", size)
             + tar_data(bytes(size)) + bytes(2 * BLOCK))
    cut = whole[:3 * BLOCK + size // 2]
    pack = gzip.compress if fmt == "tar.gz" else bytes
    assert codes(write(tmp_path / f"whole.{fmt}", pack(whole))) == []
    with time_bound(10):
        report = check_dataset(str(write(tmp_path / f"cut.{fmt}", pack(cut))), MethodLimits())
    assert [violation.code for violation in report.violations] == ["corrupt_archive"]
    assert "unexpected end of data" in report.violations[0].message and report.files == 2


def test_a_plain_tars_member_data_is_passed_over_unread(tmp_path):
    """A 64 GiB member (a sparse file here): its header is read, its data is not (reading it would take minutes)."""
    size = 64 << 30
    path = tmp_path / "huge.tar"
    with open(path, "wb") as out:
        out.write(tar_header(b"huge.bin", base256(size)))
        out.seek(BLOCK + size)
        out.write(tar_header(b"after.txt", 3) + tar_data(b"abc") + bytes(2 * BLOCK))
    with time_bound(10):
        report = check_dataset(str(path), MethodLimits())
    assert (report.files, report.total_uncompressed_bytes) == (2, size + 3)


def test_a_huge_pax_header_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path / "h.tar", tar_header(b"././@PaxHeader", 1 << 40, b"x") + bytes(BLOCK))
    assert codes(path) == ["corrupt_archive"]


def test_an_empty_path_is_an_error_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(DatasetPathError, match="^dataset path is empty$"):
        check_dataset("", MethodLimits())
    with pytest.raises(DatasetPathError, match="^dataset path is empty$"), PreparedDataset(""):
        pytest.fail("an empty path was prepared")


def test_a_file_name_that_is_not_utf8_is_named_when_a_zip_cannot_hold_it(tmp_path):
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text("x")
    (root / "sub" / os.fsdecode(b"\xff.txt")).write_text("y")
    with pytest.raises(DatasetPathError, match=re.escape("cannot pack b'sub/\\xff.txt'")):
        check_dataset(str(root), MethodLimits())
    report = check_dataset(str(root), MethodLimits(dataset_type=("tar",)))  # a tar holds any bytes
    assert (report.ok, report.format, report.files) == (True, "tar", 2)


def test_fifos_and_sockets_in_a_folder_are_skipped_with_a_warning(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    (root / "a.txt").write_text("x")
    os.mkfifo(root / "pipe")
    monkeypatch.chdir(root)  # a socket's path must be short
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock")
        report = check_dataset(str(root), MethodLimits())
    assert (report.ok, report.files, report.violations) == (True, 1, ())
    assert report.warnings == (
        "skipped `pipe`: it is a FIFO, and the archive upload builds holds regular files only",
        "skipped `sock`: it is a socket, and the archive upload builds holds regular files only",
    )
    assert "warnings" not in report.to_dict(), "the JSON report keeps the shape CLI.md gives it"


def test_a_fifo_inside_an_archive_is_still_unsafe(tmp_path):
    path = write(tmp_path / "f.tar", tar_header(b"a.txt", 0) + tar_header(b"pipe", 0, b"6") + bytes(2 * BLOCK))
    report = check_dataset(str(path), MethodLimits())
    assert [(v.code, v.file) for v in report.violations] == [("unsafe_path", "pipe")] and report.warnings == ()


# Valid archives once called corrupt


def small_tar(name: bytes = b"a.txt") -> bytes:
    return tar_header(name, 3) + tar_data(b"abc") + bytes(2 * BLOCK)


@pytest.mark.parametrize(("tail", "valid"), [
    (b"", True), (b"\0" * 4, True), (b"\0" * 12, True),
    (b"\0" * 3, False), (b"junk", False),  # as `xz -t` judges them
])
def test_xz_stream_padding_is_valid_as_xz_t_says(tmp_path, tail, valid):
    path = write(tmp_path / "d.tar.xz", lzma.compress(small_tar(), format=lzma.FORMAT_XZ) + tail)
    assert codes(path) == ([] if valid else ["corrupt_archive"])


def test_concatenated_xz_streams_with_padding_between_are_one_tar(tmp_path):
    data = small_tar(b"a.txt")[:-2 * BLOCK] + small_tar(b"b.txt")
    half = len(data) // 2
    path = write(tmp_path / "d.bin", lzma.compress(data[:half]) + bytes(8) + lzma.compress(data[half:]) + bytes(4))
    report = check_dataset(str(path), MethodLimits())
    assert (report.ok, report.format, report.files) == (True, "tar.xz", 2)


def test_a_v7_tar_without_ustar_magic_or_suffix_is_found_by_its_checksum(tmp_path):
    v7 = (tar_header(b"dir/", 0, b"\0", magic=bytes(8)) + tar_header(b"dir/a.txt", 3, b"\0", magic=bytes(8))
          + tar_data(b"abc") + bytes(2 * BLOCK))
    report = check_dataset(str(write(tmp_path / "data.bin", v7)), MethodLimits(dataset_files_type=("txt",)))
    assert (report.ok, report.format, report.files, report.total_uncompressed_bytes) == (True, "tar", 1, 3)
    for name, data in (("zeros.bin", bytes(4 * BLOCK)), ("text.bin", b"hello world\n" * 100)):
        assert check_dataset(str(write(tmp_path / name, data)), MethodLimits()).format == "unknown"


def test_a_gzipped_tar_with_a_long_gzip_file_name_and_no_suffix_is_found(tmp_path):
    data = small_tar()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    fname = b"n" * (2 << 20)  # the FNAME field of the gzip header: 2 MiB before the first compressed byte
    gzipped = b"\x1f\x8b\x08\x08" + bytes(4) + b"\x00\xff" + fname + b"\0" + body + struct.pack("<LL", zlib.crc32(data), len(data))
    report = check_dataset(str(write(tmp_path / "data.bin", gzipped)), MethodLimits())
    assert (report.ok, report.format, report.files) == (True, "tar.gz", 1)


@pytest.mark.parametrize(("system", "expected"), [(0, []), (3, ["link_entry", "unsafe_path"])])
def test_zip_mode_bits_count_only_when_a_unix_system_made_the_entry(tmp_path, system, expected):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, mode in (("a.jpg", 0o120777), ("b.jpg", 0o010644), ("c.jpg", 0o100644)):  # as a symlink, a FIFO, a file
            info = zipfile.ZipInfo(name)
            info.create_system = system  # 0: FAT (MS-DOS, Windows), whose attributes carry no unix mode
            info.external_attr = mode << 16 | 0x20
            archive.writestr(info, b"jpeg")
    assert codes(path) == expected


# Names that would write on the terminal


def test_a_name_cannot_forge_lines_in_the_human_report(tmp_path):
    forged = "evil\n\tToo big dataset size: 999.0 MB > 10 MB\n.jpg"
    names = [forged, "\x1b[2K\rtab\there.jpg", "bidi\u202egnp.jpg"]
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    report = check_dataset(str(path), MethodLimits(dataset_files_type=("png",)))
    lines = report.text().split("Dataset check failed:\n", 1)[1].split("\n")
    assert len(lines) == len(names) and "\tToo big dataset size: 999.0 MB > 10 MB" not in lines
    assert lines == [
        "\tWrong file type: `jpg` in file: `evil\\n\\tToo big dataset size: 999.0 MB > 10 MB\\n.jpg`. Allowed file types: png",
        "\tWrong file type: `jpg` in file: `\\x1b[2K\\rtab\\there.jpg`. Allowed file types: png",
        "\tWrong file type: `jpg` in file: `bidi\\u202egnp.jpg`. Allowed file types: png",
    ]
    violations = report.to_dict()["violations"]
    assert [violation["file"] for violation in violations] == names, "JSON keeps the real names"
    assert violations[0]["message"] == f"Wrong file type: `jpg` in file: `{forged}`. Allowed file types: png"


def test_a_warning_cannot_forge_lines_either(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "a.txt").write_text("x")
    os.mkfifo(root / "p\nERROR: q")
    assert check_dataset(str(root), MethodLimits()).warnings == (
        "skipped `p\\nERROR: q`: it is a FIFO, and the archive upload builds holds regular files only",
    )
