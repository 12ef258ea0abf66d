"""Crafted archives, generated: tar headers written by hand (v7, ustar with prefix, GNU long names, pax), zip by
FAT and unix creators, gzip and xz (with stream padding), names with control characters, negative sizes.

Whatever the archive: the check ends in time, raises nothing but DatasetPathError, and reports only
violations that are there (what the per-entry rules say of the members the archive really holds).
"""

from __future__ import annotations

import gzip
import lzma
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from snet_cli_training.dataset.check import check_dataset
from snet_cli_training.dataset.entries import DIRECTORY, FILE, Entry
from snet_cli_training.dataset.requirements import MethodLimits, dataset_schema
from snet_cli_training.dataset.rules import EntryRules
from snet_cli_training.errors import DatasetPathError
from tests.test_dataset_robustness import BLOCK, base256, pax_records, tar_data, tar_header, time_bound

LIMITS = MethodLimits(dataset_files_type=("txt",))
RULES = EntryRules.from_schema(dataset_schema(LIMITS))
TAR_LAYOUTS = ("v7", "ustar", "gnu", "pax")
SUFFIXES = {"": ".tar", "gz": ".tar.gz", "xz": ".tar.xz"}

components = st.text(st.sampled_from("ab.txt\n\t\x1b\x7fé Σ\\:"), min_size=1, max_size=8)
names = st.lists(components, min_size=1, max_size=3).map("/".join)
members = st.lists(st.tuples(names, st.integers(0, 700), st.sampled_from([FILE, FILE, DIRECTORY])), min_size=1, max_size=5,
                   unique_by=lambda member: member[0])


class Crafted(NamedTuple):
    data: bytes
    suffix: str
    entries: list[Entry]  # what the archive holds, as a reader must see it
    corrupt_after: int | None  # None, or how many entries come before the one made corrupt


def _tar_member(layout: str, name: str, size: int, kind: str, negative: bool, extra: dict[str, str]) -> bytes:
    raw = name.encode() + (b"/" if kind == DIRECTORY and layout == "v7" else b"")
    flag = b"5" if kind == DIRECTORY and layout != "v7" else (b"\0" if layout == "v7" else b"0")
    magic = {"v7": bytes(8), "gnu": b"ustar  \0"}.get(layout, b"ustar\x0000")
    size_field = base256(-BLOCK) if negative else (size if kind == FILE else 0)
    data = tar_data(b"t" * size) if kind == FILE and not negative else b""
    if layout == "ustar" and len(raw) > 100:
        cut = raw.rfind(b"/", 0, 156)
        return tar_header(raw[cut + 1:], size_field, flag, magic, prefix=raw[:cut]) + data
    if layout == "gnu" and len(raw) > 99:
        long_name = tar_header(b"././@LongLink", len(raw) + 1, b"L", magic) + tar_data(raw + b"\0")
        return long_name + tar_header(raw[:99], size_field, flag, magic) + data
    if layout == "pax":
        records = pax_records(**extra, path=name) + (pax_records(size="-1") if negative else b"")
        pax = tar_header(b"././@PaxHeader", len(records), b"x") + tar_data(records)
        return pax + tar_header(b"pax", 0 if negative else size_field, flag, magic) + data
    return tar_header(raw, size_field, flag, magic) + data


def _fits(layout: str, name: str) -> bool:
    raw = name.encode() + b"/"
    if layout == "v7":
        return len(raw) <= 100
    if layout == "ustar":
        return len(raw) <= 100 or 0 < raw.rfind(b"/", 0, 156) and len(raw) - raw.rfind(b"/", 0, 156) <= 101
    return True


@st.composite
def crafted_archives(draw) -> Crafted:
    chosen = draw(members)
    layout = draw(st.sampled_from([*TAR_LAYOUTS, "zip-unix", "zip-fat"]))
    corrupt = draw(st.sampled_from([None, None, None, *range(len(chosen))]))
    if layout.startswith("zip"):
        return _zip(chosen, layout, draw)
    chosen = [member if _fits(layout, member[0]) else (member[0][:20].rstrip("/") or "x", *member[1:]) for member in chosen]
    chosen = list({member[0]: member for member in chosen}.values())
    corrupt = corrupt if corrupt is None or corrupt < len(chosen) else None
    extra = draw(st.dictionaries(st.sampled_from(["comment", "mtime", "SCHILY.xattr.user.k"]), st.text(max_size=12), max_size=2))
    data = pax_global(draw) if layout == "pax" and draw(st.booleans()) else b""
    for index, (name, size, kind) in enumerate(chosen):
        data += _tar_member(layout, name, size, kind, index == corrupt, extra)
    data += bytes(2 * BLOCK)
    compression = draw(st.sampled_from(["", "gz", "xz"]))
    if compression == "gz":
        data = gzip.compress(data, mtime=0)
    elif compression == "xz":
        data = lzma.compress(data) + bytes(4 * draw(st.integers(0, 3)))
    entries = [Entry(name, size if kind == FILE else 0, kind) for name, size, kind in chosen]
    return Crafted(data, SUFFIXES[compression] if draw(st.booleans()) else ".bin", entries, corrupt)


def pax_global(draw) -> bytes:
    records = pax_records(comment=draw(st.text(max_size=20)))
    return tar_header(b"././@PaxHeader", len(records), b"g") + tar_data(records)


def _zip(chosen: list[tuple[str, int, str]], layout: str, draw) -> Crafted:
    import io

    out = io.BytesIO()
    entries = []
    with zipfile.ZipFile(out, "w") as archive:
        for name, size, kind in chosen:
            stored = name + "/" if kind == DIRECTORY else name
            info = zipfile.ZipInfo(stored)
            if layout == "zip-fat":
                info.create_system, info.external_attr = 0, draw(st.integers(0, 2**32 - 1))
            else:
                info.create_system, info.external_attr = 3, (0o40755 if kind == DIRECTORY else 0o100644) << 16
            archive.writestr(info, b"z" * size if kind == FILE else b"")
            entries.append(Entry(stored, size if kind == FILE else 0, kind))
    return Crafted(out.getvalue(), ".zip" if draw(st.booleans()) else ".bin", entries, None)


@settings(max_examples=250, deadline=None)
@given(crafted=crafted_archives())
def test_a_crafted_archive_gets_exactly_the_violations_it_has(crafted):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"crafted{crafted.suffix}"
        path.write_bytes(crafted.data)
        try:
            with time_bound(10):
                report = check_dataset(str(path), LIMITS)
        except DatasetPathError:
            return
    held = crafted.entries if crafted.corrupt_after is None else crafted.entries[:crafted.corrupt_after]
    expected = [violation for entry in held for violation in RULES.check(*entry)]
    found = [violation for violation in report.violations if violation.code not in ("corrupt_archive", "empty_dataset")]
    corrupt = [violation.message for violation in report.violations if violation.code == "corrupt_archive"]
    if crafted.corrupt_after is None:
        assert corrupt == [] and found == expected
        assert (report.files, report.total_uncompressed_bytes) == (
            sum(entry.kind == FILE for entry in held), sum(entry.size for entry in held if entry.kind == FILE))
    else:
        assert len(corrupt) == 1 and "negative" in corrupt[0]
        assert found == expected
    assert ("empty_dataset" in [v.code for v in report.violations]) == (not corrupt and report.files == 0)
    assert report.ok or len(report.text().split("Dataset check failed:\n", 1)[1].split("\n")) == len(report.violations)
