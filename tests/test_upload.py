"""UploadSource: chunking fields, digest, memory, progress bar (directory packing: tests/test_dataset_packing.py)."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from snet_cli_training.environment import Environment
from snet_cli_training.errors import DatasetPathError, UserInputError
from snet_cli_training.upload import DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, UploadSource, progress_bar

MODEL_ID = "model-7"


def write(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


@pytest.mark.parametrize(("size", "chunk", "sizes"), [
    (10, 4, [4, 4, 2]),
    (12, 4, [4, 4, 4]),
    (3, 4, [3]),
    (4, 4, [4]),
    (1, 1, [1]),
])
def test_messages_carry_the_sdk_fields(tmp_path, size, chunk, sizes):
    path = write(tmp_path / "data.zip", size)
    messages = list(UploadSource(path, MODEL_ID, chunk_size=chunk))
    assert [len(m.data) for m in messages] == sizes
    assert [m.batch_number for m in messages] == list(range(1, len(sizes) + 1))
    for message in messages:
        assert (message.model_id, message.file_name, message.file_size, message.batch_size, message.batch_count) == (
            MODEL_ID, "data.zip", size, chunk, len(sizes))
    assert b"".join(m.data for m in messages) == path.read_bytes()


def test_default_chunk_is_one_mib_and_the_remainder_comes_last(tmp_path):
    path = write(tmp_path / "data.tar", 2 * DEFAULT_CHUNK_BYTES + 5)
    source = UploadSource(path, MODEL_ID)
    sizes = [len(m.data) for m in source]
    assert DEFAULT_CHUNK_BYTES == MAX_CHUNK_BYTES == 4_000_000
    assert sizes == [DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_BYTES, 5]
    assert source.batch_count == 3


def test_sha256_and_size_describe_the_bytes_sent(tmp_path):
    path = write(tmp_path / "data.zip", 100_003)
    source = UploadSource(path, MODEL_ID, chunk_size=4096)
    assert source.sha256 is None
    iterator = iter(source)
    next(iterator)
    assert source.sha256 is None, "no digest before the stream ends"
    for _ in iterator:
        pass
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.size_bytes == source.file_size == 100_003


def test_progress_reports_the_running_total_once_per_chunk(tmp_path):
    path = write(tmp_path / "data.zip", 10_000)
    seen: list[int] = []
    messages = list(UploadSource(path, MODEL_ID, chunk_size=3000, progress=seen.append))
    assert len(messages) == 4
    assert seen == [3000, 6000, 9000, 10_000]


@pytest.mark.parametrize("chunk", [0, -1, MAX_CHUNK_BYTES + 1, 4 * 1024 * 1024, 1.5, True])
def test_chunks_must_fit_the_daemons_message_cap(tmp_path, chunk):
    with pytest.raises(UserInputError, match="chunk size"):
        UploadSource(write(tmp_path / "d.zip", 10), MODEL_ID, chunk_size=chunk)


def test_the_largest_chunk_is_accepted(tmp_path):
    assert MAX_CHUNK_BYTES == 4_000_000
    assert UploadSource(write(tmp_path / "d.zip", 10), MODEL_ID, chunk_size=MAX_CHUNK_BYTES).chunk_size == MAX_CHUNK_BYTES


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.zip"
    path.write_bytes(b"")
    with pytest.raises(UserInputError, match="empty"):
        list(UploadSource(path, MODEL_ID))


def test_a_missing_path_is_a_path_error(tmp_path):
    with pytest.raises(DatasetPathError, match="does not exist"):
        list(UploadSource(tmp_path / "nope.zip", MODEL_ID))


def test_a_file_that_grows_or_shrinks_midway_fails_the_stream(tmp_path):
    path = write(tmp_path / "d.zip", 10)
    iterator = iter(UploadSource(path, MODEL_ID, chunk_size=4))
    next(iterator)
    with open(path, "ab") as stream:
        stream.write(b"more")
    with pytest.raises(UserInputError, match="grew"):
        list(iterator)
    iterator = iter(UploadSource(path, MODEL_ID, chunk_size=4))
    next(iterator)
    path.write_bytes(b"12345")
    with pytest.raises(UserInputError, match="shrank"):
        list(iterator)


def test_memory_does_not_grow_with_the_file(tmp_path):
    path = tmp_path / "big.zip"
    with open(path, "wb") as stream:
        stream.truncate(64 * 1024 * 1024)
    chunk = 1024 * 1024
    source = UploadSource(path, MODEL_ID, chunk_size=chunk)
    tracemalloc.start()
    try:
        count = sum(1 for _ in source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 64
    assert source.size_bytes == 64 * 1024 * 1024
    assert peak < 3 * chunk, f"peak {peak} bytes for a 64 MiB file"


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_the_progress_bar_draws_bytes_rate_and_eta_on_a_terminal():
    env = Environment(stdout=FakeStream(True), stderr=FakeStream(True))
    with progress_bar(env, 3 * 1024 * 1024, "Uploading data.zip") as progress:
        progress(1024 * 1024)
        progress(3 * 1024 * 1024)
    drawn = env.stderr.getvalue()
    assert "Uploading data.zip" in drawn
    assert "3.00M/3.00M" in drawn
    assert "100%" in drawn
    assert "B/s" in drawn and "<" in drawn  # rate and the elapsed<remaining pair
    assert drawn.endswith("\n"), "the bar is closed and leaves the line"
    assert env.stdout.getvalue() == ""


def test_no_progress_bar_without_a_terminal():
    env = Environment(stdout=FakeStream(True), stderr=FakeStream(False))
    with progress_bar(env, 100, "Uploading") as progress:
        progress(50)
        progress(100)
    assert env.stderr.getvalue() == "" and env.stdout.getvalue() == ""


def test_the_bar_follows_an_upload(tmp_path):
    path = write(tmp_path / "data.zip", 5000)
    env = Environment(stderr=FakeStream(True))
    with UploadSource(path, MODEL_ID, chunk_size=2000) as source, \
            progress_bar(env, source.file_size, source.file_name) as progress:
        source.progress = progress
        assert len(list(source)) == 3
    assert "4.88k/4.88k" in env.stderr.getvalue()
