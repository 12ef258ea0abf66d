"""The local model store forgets: `models forget MODEL_ID`, `models --prune`; deleted models are pointed out in `models`."""

from __future__ import annotations

import dataclasses

from snet_cli_training.services import Location
from snet_cli_training.store import ModelStore, StoredModel
from tests.support.harness import create_model, ok_json, run


def _store(home) -> ModelStore:
    return ModelStore(home / ".snet" / "training", warn=lambda message: None)


def test_remove_drops_only_the_keys_given(tmp_path):
    store = ModelStore(tmp_path, warn=lambda message: None)
    where = Location("o", "s", "g", "http://d")
    a, b = StoredModel("a", "local", where, "S", "m", "CREATED", "A"), StoredModel("b", "local", where, "S", "m", "CREATED")
    elsewhere = dataclasses.replace(a, network="sepolia")
    store.save([a, b, elsewhere])
    assert store.remove([a]) == [a]
    assert store.all() == [b, elsewhere]
    assert store.remove([a]) == [] and store.remove([]) == []


def test_a_store_written_before_names_were_kept_still_reads(tmp_path):
    (tmp_path / "models.json").write_text('{"version": 1, "models": [{"model_id": "a", "network": "local", "org_id": "o", '
                                          '"service_id": "s", "group_name": "g", "endpoint": "e", "grpc_service_name": "S", '
                                          '"grpc_method_name": "m", "status": "CREATED"}]}')
    (tmp_path / "models.json").chmod(0o600)
    assert [model.name for model in ModelStore(tmp_path, warn=print).all()] == [""]


def test_forget_one_model(stack, home, control):
    kept = create_model(home, stack, "kept")["model_id"]
    dropped = create_model(home, stack, "dropped")["model_id"]
    result = run(home, "models", "forget", dropped)
    forgotten = ok_json(result)
    assert [(m["model_id"], m["name"]) for m in forgotten] == [(dropped, "dropped")]
    assert "the daemon still has it" in result.stderr
    assert [m["model_id"] for m in ok_json(run(home, "models"))] == [kept]
    again = run(home, "models", "forget", dropped)
    assert (again.returncode, again.stderr) == (1, f"ERROR: model not found: {dropped} (not in the local model store)\n")
    assert ok_json(run(home, "get-model", kept))["status"] == "CREATED"


def test_prune_drops_deleted_and_gone_models_and_keeps_the_rest(stack, home, control):
    alive = create_model(home, stack, "alive")["model_id"]
    public = create_model(home, stack, "public", "--public")["model_id"]
    private = create_model(home, stack, "private")["model_id"]
    for model_id in (public, private):
        ok_json(run(home, "delete-model", model_id, "-y"))
    listed = run(home, "models")
    assert sorted(m["status"] for m in ok_json(listed)) == ["CREATED", "DELETED", "DELETED"]
    assert "2 of these models are DELETED: `snet training models --prune` forgets them" in listed.stderr

    store = _store(home)
    template = store.find(alive)
    silent = dataclasses.replace(template.location, endpoint="http://127.0.0.1:1")
    unreachable = [dataclasses.replace(template, model_id=f"silent{i}", location=silent) for i in range(2)]
    other_network = dataclasses.replace(template, model_id="far", network="sepolia")
    store.save([*unreachable, other_network])

    result = run(home, "models", "--prune")
    pruned = ok_json(result)
    assert sorted((m["model_id"], m["reason"]) for m in pruned) == sorted([(public, "deleted"), (private, "not_found")])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING:")]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: kept the models of the daemon at http://127.0.0.1:1: ")
    assert result.stderr.splitlines()[-1] == ("forgot 2 of 5 models of network local; 1 of other networks kept "
                                              "(prune them on their network)")
    assert sorted(m["model_id"] for m in ok_json(run(home, "models"))) == sorted([alive, "silent0", "silent1", "far"])
    assert ok_json(run(home, "models", "--prune")) == []
