"""End to end: resolve testorg/echo through snet-cli, then talk to the daemon double through DaemonClient."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from snet_cli_training import auth, client, errors, service


def _session(home: Path, **values):
    from snet.cli.config import Config

    config = Config(_snet_folder=home / ".snet")
    args = argparse.Namespace(**{"org_id": None, "service_id": None, "group_name": None, "endpoint": None, **values})
    return config, args


def test_resolve_and_train_through_the_daemon(stack, process_home, capsys):
    progress = io.StringIO()
    config, args = _session(process_home, org_id=stack.org_id, service_id=stack.service_id)
    command = service.client_command(config, args, out_f=progress, err_f=progress)
    target = service.resolve_service(config, args, command=command, out_f=progress, err_f=progress)
    assert (target.org_id, target.service_id, target.group_name) == (stack.org_id, stack.service_id, stack.group_name)
    assert target.group_id == stack.group_id_base64
    assert target.endpoint == stack.daemon_endpoint
    assert target.payment_address.lower() == stack.provider.address.lower()
    assert target.price_in_cogs == 10

    warnings: list[str] = []
    authorizer = auth.session_authorizer(command, warn=warnings.append)
    assert authorizer.signer.address == stack.client.address
    with client.DaemonClient(target.endpoint, authorizer, timeout=10) as daemon:
        methods = service.trainable_methods(daemon)
        grpc_service, method = service.resolve_method(None, methods)
        limits = daemon.get_method_metadata(grpc_service_name=grpc_service, grpc_method_name=method)
        assert set(limits) == set(client.METHOD_METADATA_FIELDS)

        model = daemon.create_model(grpc_service, method, "e2e model", description="from the client test")
        assert model.model_id
        fetched = daemon.get_model(model.model_id)
        as_dict = client.model_to_dict(fetched, target.org_id, target.service_id, target.group_name)
        assert as_dict["status"] == "CREATED" and as_dict["name"] == "e2e model"
        assert as_dict["created_by_address"] == stack.client.address.lower()
        assert model.model_id in [m.model_id for m in daemon.get_all_models()]
        with pytest.raises(errors.ModelNotFound):
            daemon.get_model("no-such-model")
    cache = auth.SignatureCache(process_home / ".snet" / "training" / "signatures.json")
    assert cache.get("local", stack.client.address) is not None
    assert warnings == []
    assert capsys.readouterr().out == ""


def test_unknown_service_and_group_are_user_errors(stack, process_home):
    progress = io.StringIO()
    config, args = _session(process_home, org_id=stack.org_id, service_id="no-such-service")
    with pytest.raises(errors.UserInputError, match="service no-such-service is not registered in organization"):
        service.resolve_service(config, args, out_f=progress, err_f=progress)
    config, args = _session(process_home, org_id="no-such-org", service_id=stack.service_id)
    with pytest.raises(errors.UserInputError, match="organization no-such-org is not registered"):
        service.resolve_service(config, args, out_f=progress, err_f=progress)
    config, args = _session(process_home, org_id=stack.org_id, service_id=stack.service_id, group_name="nope")
    with pytest.raises(errors.UserInputError, match="no payment group 'nope'; its groups: default_group"):
        service.resolve_service(config, args, out_f=progress, err_f=progress)
