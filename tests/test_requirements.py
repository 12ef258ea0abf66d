"""Method limits, the manifest schema, and the dataset check with its report."""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snet_cli_training.dataset.check import check_dataset
from snet_cli_training.dataset.entries import DIRECTORY, FILE, HARDLINK, OTHER, SYMLINK, Batch, Entry
from snet_cli_training.dataset.requirements import MIB, UNSAFE_NAME_PATTERN, MethodLimits, dataset_schema, file_extension
from snet_cli_training.dataset.requirements import extensions_all_allowed, names_may_be_unsafe, parse_dataset_types, parse_type_list
from snet_cli_training.dataset.rules import EntryRules, manifest_entry, manifest_violations
from snet_cli_training.errors import DatasetPathError, UserInputError
from tests.test_dataset import crafted_bomb_zip, make_tar, make_zip, tar_member

VIOLATION_KEYS = {
    "dataset_too_big": {"code", "message", "limit", "actual"},
    "too_many_files": {"code", "message", "limit", "actual"},
    "file_too_big": {"code", "message", "file", "limit", "actual"},
    "wrong_file_type": {"code", "message", "file", "limit", "actual"},
    "wrong_dataset_type": {"code", "message", "limit", "actual"},
    "unsafe_path": {"code", "message", "file"},
    "link_entry": {"code", "message", "file"},
    "corrupt_archive": {"code", "message"},
    "empty_dataset": {"code", "message"},
}


def limits(**fields) -> MethodLimits:
    return MethodLimits.from_mapping(fields)


def codes(path: Path, **fields) -> list[str]:
    return [violation.code for violation in check_dataset(str(path), limits(**fields)).violations]


@pytest.mark.parametrize(("value", "expected"), [
    ("jpg, png", ["jpg", "png"]), ("jpg,png", ["jpg", "png"]), (" .JPG  'png' ", ["jpg", "png"]),
    ('["jpg", "png"]', ["jpg", "png"]), (["Tar.GZ", "zip"], ["tar.gz", "zip"]), ("", []), ("jpg,jpg", ["jpg"]),
])
def test_parse_type_list_is_lenient(value, expected):
    assert parse_type_list(value) == expected


def test_tgz_means_tar_gz_for_dataset_type_only():
    assert parse_dataset_types("zip, tgz, tar.gz, tar") == ["zip", "tar.gz", "tar"]
    assert parse_type_list("tgz") == ["tgz"]


@pytest.mark.parametrize(("name", "extension"), [
    ("a/b.JPG", "jpg"), ("x.tar.gz", "tar.gz"), ("x.TAR.XZ", "tar.xz"), ("x.gz", "gz"), ("noext", ""),
    ("dir.d/noext", ""), (".hidden", ""), ("a\\b.Png", "png"), ("trailing.", ""),
])
def test_file_extension(name, extension):
    assert file_extension(name) == extension


def test_from_mapping_reads_strings_arrays_and_missing_fields():
    parsed = MethodLimits.from_mapping({"dataset_files_type": ["JPG", "png"], "dataset_type": "zip, tgz", "dataset_max_size_mb": 10,
                                        "service": "ignored"})
    assert parsed.to_dict() == {
        "dataset_max_size_mb": 10, "dataset_max_count_files": 0, "dataset_max_size_single_file_mb": 0,
        "dataset_files_type": ["jpg", "png"], "dataset_type": ["zip", "tar.gz"], "dataset_description": "",
        "default_model_id": "", "max_models_per_user": 0,
    }
    assert MethodLimits.from_mapping(parsed.to_dict()) == parsed


@pytest.mark.parametrize("data", [
    [], "x", {"dataset_max_size_mb": "10"}, {"dataset_max_count_files": -1}, {"dataset_max_size_mb": True},
    {"dataset_max_size_mb": 1.5}, {"dataset_files_type": 3}, {"dataset_type": ["zip", 1]}, {"dataset_description": 5},
])
def test_from_mapping_rejects_wrong_types_clearly(data):
    with pytest.raises(UserInputError, match="method metadata"):
        MethodLimits.from_mapping(data)


def test_schema_is_valid_draft_2020_12():
    full = limits(dataset_max_size_mb=1, dataset_max_count_files=2, dataset_max_size_single_file_mb=3,
                  dataset_files_type="jpg", dataset_type="zip")
    for schema in (dataset_schema(full), dataset_schema(MethodLimits())):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        json.dumps(schema)


def test_sdk_wording_of_the_four_checks(tmp_path):
    path = make_zip(tmp_path / "d.zip", {"avatars/collage.jpg": b"\0" * (5 * MIB + 12345), "b.png": b"1", "c.png": b"2"})
    report = check_dataset(str(path), limits(dataset_max_size_mb=0, dataset_max_count_files=2,
                                             dataset_max_size_single_file_mb=5, dataset_files_type="png, mp3, txt"))
    size = path.stat().st_size
    facts, failed = report.text().split("\nDataset check failed:\n")
    assert facts.split("\n")[0] == "    ok: false"
    assert ["Dataset check failed:", *failed.split("\n")] == [
        "Dataset check failed:",
        "\tToo many files: 3 > 2",
        "\tWrong file type: `jpg` in file: `avatars/collage.jpg`. Allowed file types: png, mp3, txt",
        "\tToo big file `avatars/collage.jpg` size: 5.01171875 MB > 5 MB",
    ]
    small = check_dataset(str(path), limits(dataset_max_size_mb=0 if size > MIB else 1))
    assert small.ok
    tiny = make_zip(tmp_path / "t.zip", {"a": b"\x00" * 2048})
    big = check_dataset(str(tiny), limits(dataset_max_size_mb=1))
    assert big.ok


def test_dataset_too_big_prints_floored_mebibytes(tmp_path):
    path = tmp_path / "d.tar"
    make_tar(path, [tar_member("a.bin", b"\x01" * (MIB + 700_000))])
    report = check_dataset(str(path), limits(dataset_max_size_mb=1))
    expected = path.stat().st_size // 1024 / 1024
    assert [v.to_dict() for v in report.violations] == [{
        "code": "dataset_too_big", "message": f"Too big dataset size: {expected} MB > 1 MB", "limit": 1, "actual": expected,
    }]


def test_report_shape_and_ok_text(tmp_path):
    path = make_zip(tmp_path / "d.zip", {"a/x.png": b"12345", "b.PNG": b"1"}, directories=("a/",))
    report = check_dataset(str(path), limits(dataset_files_type="png", dataset_max_count_files=2))
    assert report.to_dict() == {"ok": True, "path": str(path), "format": "zip", "size_bytes": path.stat().st_size,
                                "files": 2, "total_uncompressed_bytes": 6, "violations": []}
    assert report.text().split("\n")[:3] == ["    ok: true", f"    path: {path}", "    format: zip"]


def hostile_tar(path: Path) -> Path:
    return make_tar(path, [
        tar_member("../escape.txt", b"x"), tar_member("/etc/passwd.txt", b"x"), tar_member("C:/win.txt", b"x"),
        tar_member("ok/..hidden.txt", b"x"), tar_member("s", kind=tarfile.SYMTYPE, link="/etc"),
        tar_member("h", kind=tarfile.LNKTYPE, link="ok/..hidden.txt"), tar_member("fifo", kind=tarfile.FIFOTYPE),
    ], "w:gz")


def test_hostile_entries(tmp_path):
    report = check_dataset(str(hostile_tar(tmp_path / "h.tgz")), MethodLimits())
    assert [(v.code, v.file) for v in report.violations] == [
        ("unsafe_path", "../escape.txt"), ("unsafe_path", "/etc/passwd.txt"), ("unsafe_path", "C:/win.txt"),
        ("link_entry", "s"), ("link_entry", "h"), ("unsafe_path", "fifo"),
    ]
    assert report.files == 4


@pytest.mark.parametrize(("types", "fmt_mode", "expected"), [
    ("tar", "w:gz", ["wrong_dataset_type"]), ("tar", "w", []), ("tgz", "w:gz", []), ("tar.gz", "w:gz", []),
    ("zip, tar.bz2", "w:bz2", []), ("zip", "w:xz", ["wrong_dataset_type"]),
])
def test_dataset_type(tmp_path, types, fmt_mode, expected):
    path = make_tar(tmp_path / "d.archive", [tar_member("a.txt", b"x")], fmt_mode)
    assert codes(path, dataset_type=types) == expected


def test_directory_entries_are_not_files(tmp_path):
    path = make_zip(tmp_path / "d.zip", {"a/b.txt": b"x"}, directories=("a/", "a/c/"))
    report = check_dataset(str(path), limits(dataset_files_type="txt", dataset_max_count_files=1))
    assert (report.ok, report.files) == (True, 1)


def test_empty_and_directory_only_archives(tmp_path):
    assert codes(make_zip(tmp_path / "e.zip", {})) == ["empty_dataset"]
    assert codes(make_zip(tmp_path / "d.zip", {}, directories=("a/",))) == ["empty_dataset"]


def test_corrupt_archive_is_a_report_not_an_error(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    report = check_dataset(str(tmp_path / "bad.zip"), MethodLimits())
    assert [v.to_dict()["code"] for v in report.violations] == ["corrupt_archive"]
    (tmp_path / "text.bin").write_text("hello")
    assert check_dataset(str(tmp_path / "text.bin"), limits(dataset_type="zip")).to_dict()["format"] == "unknown"


def test_bomb_is_file_too_big_at_once(tmp_path):
    path = crafted_bomb_zip(tmp_path / "bomb.zip")
    started = time.perf_counter()
    report = check_dataset(str(path), limits(dataset_max_size_single_file_mb=100))
    assert time.perf_counter() - started < 1
    assert [v.to_dict() for v in report.violations] == [{
        "code": "file_too_big", "message": "Too big file `bomb.txt` size: 1024.0 MB > 100 MB", "file": "bomb.txt", "limit": 100,
        "actual": 1024.0,
    }]
    assert report.total_uncompressed_bytes == 1 << 30


def test_directory_is_checked_as_the_archive_upload_builds(tmp_path):
    root = tmp_path / "data"
    (root / "imgs").mkdir(parents=True)
    (root / "imgs" / "a.PNG").write_bytes(b"x" * 100)
    (root / "notes.md").write_text("x")
    (root / "link.png").symlink_to(root / "imgs" / "a.PNG")
    (root / "zlast").symlink_to(root / "imgs")
    report = check_dataset(str(root), limits(dataset_files_type="png", dataset_type="tar, tar.gz"))
    assert (report.format, report.path, report.files) == ("tar.gz", str(root), 2)
    assert [(v.code, v.file) for v in report.violations] == [
        ("link_entry", "link.png"), ("wrong_file_type", "notes.md"), ("link_entry", "zlast"),
    ]


def test_missing_path_raises(tmp_path):
    with pytest.raises(DatasetPathError):
        check_dataset(str(tmp_path / "missing.zip"), MethodLimits())


def test_every_violation_has_the_keys_cli_md_lists(tmp_path):
    seen = {}
    path = make_zip(tmp_path / "d.zip", {**{f"f{i}.jpg": b"\0" * 3 * MIB for i in range(3)}, "random.bin": os.urandom(MIB + 1)})
    bad = (tmp_path / "bad.zip")
    bad.write_bytes(b"garbage")
    for report in (
        check_dataset(str(path), limits(dataset_max_size_mb=1, dataset_max_count_files=1, dataset_max_size_single_file_mb=2,
                                        dataset_files_type="png", dataset_type="tar")),
        check_dataset(str(hostile_tar(tmp_path / "h.tgz")), MethodLimits()),
        check_dataset(str(bad), MethodLimits()),
        check_dataset(str(make_zip(tmp_path / "e.zip", {})), MethodLimits()),
    ):
        for violation in report.to_dict()["violations"]:
            seen[violation["code"]] = set(violation)
    assert seen == VIOLATION_KEYS


entry_names = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from("aZ./\\:\nΣσς.pngPNG"), max_size=10),
    st.sampled_from(["../x.png", "/abs.png", "C:x.png", "a/../b.PNG", "a\\..\\b", "ok/..x.png", "x.tar.gz", "", "a/b.Jpg",
                     ".png", "a/.png", "a/..png", "b..png", "a.png\nb.png", "x.png/", "\\.png", "a\\b.png", "a.PNG\n",
                     "d.tar.gz", "x.gz", "aΣ.pngΣ", "noext", "a.b/c"]),
)
entries = st.builds(Entry, entry_names, st.integers(0, 3 * MIB), st.sampled_from([FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER]))
limit_sets = st.builds(
    MethodLimits,
    dataset_max_size_single_file_mb=st.integers(0, 2),
    dataset_files_type=st.sampled_from([(), ("png",), ("png", "tar.gz", ""), ("gz", "png"), ("pngς", "σ"), ("PNG",), ("b/c",)]),
)


@settings(max_examples=200, deadline=None)
@given(manifest_entries=st.lists(entries, max_size=8), method=limit_sets)
def test_fast_path_agrees_with_the_schema(manifest_entries, method):
    manifest = {"size_bytes": 1, "files": 1, "entries": [manifest_entry(entry) for entry in manifest_entries]}
    rules = EntryRules.from_schema(dataset_schema(method))
    schema_path = sorted(manifest_violations(manifest, method), key=repr)
    per_entry = [violation for entry in manifest_entries for violation in rules.check(*entry)]
    batch = Batch.of(manifest_entries)
    batched, files, total = rules.check_batch(batch)
    assert sorted(per_entry, key=repr) == schema_path
    assert batched == per_entry, "a batch gives the violations of its entries, in entry order"
    assert (files, total) == (batch.kinds.count(FILE), sum(e.size for e in manifest_entries if e.kind == FILE))


plain_entries = st.builds(Entry, st.from_regex(r"[a-zΣ]{1,4}(/[a-z]{1,4})?\.(png|PNG|Png|gz|σ)", fullmatch=True),
                          st.integers(0, 2 * MIB), st.sampled_from([FILE, FILE, FILE, DIRECTORY]))
tricky_entries = st.builds(Entry, entry_names, st.integers(0, 2 * MIB), st.sampled_from([FILE, FILE, DIRECTORY, SYMLINK]))


@settings(max_examples=300, deadline=None)
@given(batch_entries=st.lists(st.one_of(plain_entries, plain_entries, plain_entries, tricky_entries), min_size=1, max_size=6),
       method=limit_sets)
def test_batch_shortcuts_agree_with_entry_by_entry(batch_entries, method):
    """Mostly clean batches with one odd name, so that the whole-batch tests decide often."""
    rules = EntryRules.from_schema(dataset_schema(method))
    per_entry = [violation for entry in batch_entries for violation in rules.check(*entry)]
    assert rules.check_batch(Batch.of(batch_entries))[0] == per_entry


@pytest.mark.parametrize("name", [
    "", "/x.png", "\\x.png", "C:x.png", "a/../x.png", "..", "a/..", ".png", "a/.png", "a/..png", "a\\.png", "b..png",
    "a.png\nb.jpg", "a.png\n", "\nx.png", "x.tar.gz", "x.gz", "x.PNG", "x.png/", "aΣ.σ", "x.jpg", "noext",
])
@pytest.mark.parametrize("types", [(), ("png",), ("gz", "png"), ("σ", "png"), ("png", "")])
def test_each_batch_shortcut_agrees_with_entry_by_entry(name, types):
    rules = EntryRules.from_schema(dataset_schema(MethodLimits(dataset_files_type=types)))
    batch = [Entry("a/b.png", 1, FILE), Entry(name, 1, FILE), Entry("c.png", 1, FILE)]
    assert rules.check_batch(Batch.of(batch))[0] == [violation for entry in batch for violation in rules.check(*entry)]
    if extensions_all_allowed(f"\n{name}\n".lower(), 1, types):
        assert file_extension(name) in types
    assert names_may_be_unsafe(f"\n{name}\n") or not re.search(UNSAFE_NAME_PATTERN, name)


def test_the_batch_shortcuts_decide_the_usual_batch():
    names = ["d0001/f0000001.txt", "d0001/F0000002.TXT", "a.b.txt", "x_y-z.Txt"]
    joined = "\n" + "\n".join(names) + "\n"
    assert not names_may_be_unsafe(joined)
    assert extensions_all_allowed(joined.lower(), len(names), ["png", "txt"])


safe_names = st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6})?\.(png|jpg|TXT)", fullmatch=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(safe_names, st.integers(0, 2 * 1024), max_size=6),
       max_kib=st.integers(0, 2), max_count=st.integers(0, 4), as_tar=st.booleans())
def test_check_reports_exactly_what_is_there(tmp_path, files, max_kib, max_count, as_tar):
    if as_tar:
        path = make_tar(tmp_path / "fuzz.tar.gz", [tar_member(n, b"z" * s) for n, s in files.items()], "w:gz")
    else:
        path = make_zip(tmp_path / "fuzz.zip", {n: b"z" * s for n, s in files.items()})
    method = MethodLimits(dataset_max_count_files=max_count, dataset_files_type=("png", "txt"))
    report = check_dataset(str(path), method)
    expected = {("wrong_file_type", name) for name in files if name.endswith(".jpg")}
    if max_count and len(files) > max_count:
        expected.add(("too_many_files", ""))
    if not files:
        expected.add(("empty_dataset", ""))
    assert {(v.code, v.file) for v in report.violations} == expected
    assert report.total_uncompressed_bytes == sum(files.values())


def test_unsafe_names_in_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "u.zip", "w") as archive:
        for name in ("../../evil.txt", "/root.txt", "d:\\x.txt", "fine.txt"):
            archive.writestr(zipfile.ZipInfo(name), io.BytesIO(b"x").read())
    report = check_dataset(str(tmp_path / "u.zip"), MethodLimits())
    assert [v.file for v in report.violations] == ["../../evil.txt", "/root.txt", "d:\\x.txt"]
