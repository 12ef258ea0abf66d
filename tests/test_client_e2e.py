"""End to end in-process: resolve testorg/echo through snet-cli, then talk to the daemon double through DaemonClient."""

from __future__ import annotations

import io
import re

import pytest

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation, Where
from snet_cli_training.console.streams import Console
from snet_cli_training.daemon.replies import METHOD_METADATA_FIELDS
from snet_cli_training.daemon.signature_cache import SignatureCache


def _context(home, **where) -> Context:
    from snet.cli.config import Config

    console = Console(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), snet_dir=home / ".snet")
    return Context(Invocation(console, Config(_snet_folder=home / ".snet"), where=Where(**where)))


def test_resolve_and_train_through_the_daemon(stack, process_home, capsys):
    home = process_home
    with _context(home, org_id=stack.org_id, service_id=stack.service_id) as ctx:
        group = ctx.service_group(stack.org_id, stack.service_id)
        location = group.location
        assert (location.org_id, location.service_id, location.group_name) == (stack.org_id, stack.service_id,
                                                                               stack.group_name)
        assert group.group_id == stack.group_id_base64
        assert location.endpoint == stack.daemon_endpoint
        assert group.payment_address.lower() == stack.provider.address.lower()
        assert group.price_in_cogs == 10
        assert ctx.signer.address == stack.client.address

        daemon = ctx.daemon(location.endpoint)
        grpc_service, method = ctx.method_of_service(location, None)
        assert set(daemon.get_method_metadata(grpc_service, method)) == set(METHOD_METADATA_FIELDS)
        model = daemon.create_model(grpc_service, method, "e2e model", description="from the client test")
        assert model.model_id
        fetched = daemon.get_model(model.model_id).to_dict(location)
        assert fetched["status"] == "CREATED" and fetched["name"] == "e2e model"
        assert fetched["created_by_address"] == stack.client.address.lower()
        assert model.model_id in [m.model_id for m in daemon.get_all_models()]
        with pytest.raises(errors.ModelNotFound):
            daemon.get_model("no-such-model")
    cache = SignatureCache(home / ".snet" / "training" / "signatures.json")
    assert cache.get("local", stack.client.address) is not None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("org", "service", "group", "message"), [
    ("testorg", "no-such-service", None, "service not found: testorg/no-such-service (not registered on network local)"),
    ("no-such-org", "echo", None, "organization not found: no-such-org (not registered on network local)"),
    ("testorg", "echo", "nope", "payment group not found: nope (the groups of testorg/echo: default_group)"),
])
def test_unknown_service_and_group_are_user_errors(stack, process_home, org, service, group, message):
    with _context(process_home) as ctx, pytest.raises(errors.UserInputError, match=re.escape(message)):
        ctx.service_group(org, service, group)
