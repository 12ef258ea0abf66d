"""The local model store: private files, atomic writes, concurrent writers, distrust of foreign files."""

from __future__ import annotations

import json
import multiprocessing
import os

from snet_cli_training.services import Location
from snet_cli_training.store import ModelStore, StoredModel


def _model(model_id: str, status: str = "CREATED", network: str = "local") -> StoredModel:
    return StoredModel(model_id=model_id, network=network, location=Location("org", "svc", "g", "http://127.0.0.1:1"),
                       grpc_service_name="Echo", grpc_method_name="answer", status=status)


def test_save_find_and_refresh(tmp_path):
    warnings: list[str] = []
    store = ModelStore(tmp_path / "training", warnings.append)
    assert store.all() == []
    store.save([_model("a"), _model("b")])
    store.save([_model("a", "VALIDATED"), _model("a", network="other")])
    assert [(m.model_id, m.network, m.status) for m in store.all()] == [
        ("a", "local", "VALIDATED"), ("b", "local", "CREATED"), ("a", "other", "CREATED")]
    assert store.find("a", "other").network == "other" and store.find("zzz") is None
    assert (tmp_path / "training").stat().st_mode & 0o777 == 0o700
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert warnings == []


def _writer(folder: str, worker: int, count: int) -> None:
    store = ModelStore(__import__("pathlib").Path(folder), lambda _: None)
    for i in range(count):
        store.save([_model(f"w{worker}-{i}")])


def test_parallel_processes_never_lose_or_corrupt_entries(tmp_path):
    folder = tmp_path / "training"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(folder), w, 25)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    warnings: list[str] = []
    ids = {m.model_id for m in ModelStore(folder, warnings.append).all()}
    assert ids == {f"w{w}-{i}" for w in range(4) for i in range(25)} and warnings == []
    assert [name for name in os.listdir(folder) if not name.startswith(".models.json.lock")] == ["models.json"]


def test_corrupt_foreign_and_public_files_are_ignored_with_one_warning(tmp_path):
    folder = tmp_path / "training"
    store = ModelStore(folder, lambda _: None)
    store.save([_model("a")])
    for content in ("{not json", json.dumps({"version": 2, "models": []}),
                    json.dumps({"version": 1, "models": [{"model_id": 5}]})):
        store.path.write_text(content)
        warnings: list[str] = []
        assert ModelStore(folder, warnings.append).all() == [] and len(warnings) == 1
    store.save([_model("b")])  # a fresh write replaces what was not trusted
    assert [m.model_id for m in store.all()] == ["b"]
    os.chmod(store.path, 0o664)
    warnings = []
    assert ModelStore(folder, warnings.append).all() == [] and "not a private file" in warnings[0]
