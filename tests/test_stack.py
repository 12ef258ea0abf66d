"""The local SingularityNET network the integration tests run against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snet_cli_training.sandbox import contracts, provision
from snet_cli_training.sandbox.ipfs import dag


@pytest.mark.parametrize("content, cid", [
    (b"Mary had a little lamb", "QmZfF6C9j4VtoCsTp4KSrhYH47QMd3DNXVZBKaxJdhaPab"),
    (b"hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
    (b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
])
def test_cid_matches_go_ipfs(content, cid):
    assert dag.cid_of(content) == cid


def test_large_files_are_balanced_dags_of_at_most_174_links():
    nodes = dag.build_file(bytes(175 * dag.CHUNK_SIZE + 1))
    root, parents = nodes[-1], nodes[-3:-1]
    leaves = [node for node in nodes if node.filesize <= dag.CHUNK_SIZE and node is not root]
    assert len(leaves) == 176
    assert [parent.filesize for parent in parents] == [174 * dag.CHUNK_SIZE, dag.CHUNK_SIZE + 1]
    assert root.filesize == 175 * dag.CHUNK_SIZE + 1
    assert root.cumulative_size == len(root.block) + sum(p.cumulative_size for p in parents)


def test_chain_answers_web3_with_chain_id_1337(stack):
    w3 = stack.web3()
    assert w3.eth.chain_id == 1337
    assert w3.net.version == "1337"
    assert w3.eth.gas_price == 2 * 10**9
    latest = w3.eth.get_block("latest")
    assert latest.number == stack.block_number()
    assert w3.eth.get_balance(stack.client.address) > 10**18


def test_evm_mine_advances_blocks(stack):
    before = stack.block_number()
    assert stack.mine(7) == before + 7
    assert stack.block_number() == before + 7


def test_ipfs_round_trip_with_ipfshttpclient(stack, tmp_path):
    import ipfshttpclient
    from snet.cli.utils.ipfs_utils import get_from_ipfs_and_checkhash, publish_file_in_ipfs

    client = ipfshttpclient.connect(f"/ip4/127.0.0.1/tcp/{stack.ipfs_port}/http")
    assert client.add_bytes(b"hello world\n") == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    content = bytes(range(256)) * 4096  # 1 MiB: four chunks under one root
    path = tmp_path / "blob.bin"
    path.write_bytes(content)
    wrapped = publish_file_in_ipfs(client, str(path))
    assert wrapped.endswith("/blob.bin")
    assert client.cat(wrapped) == content
    assert get_from_ipfs_and_checkhash(client, dag.cid_of(content)) == content


def test_contracts_are_deployed_and_wired(stack):
    w3 = stack.web3()
    mpe = contracts.contract(w3, "MultiPartyEscrow", stack.mpe_address)
    registry = contracts.contract(w3, "Registry", stack.registry_address)
    token = contracts.contract(w3, "SingularityNetToken", stack.token_address)
    assert mpe.functions.token().call() == stack.token_address
    assert registry.functions.getOrganizationById(stack.org_id.encode().ljust(32, b"\0")).call()[0]
    assert token.functions.decimals().call() == 8
    escrowed = provision.DEPOSIT_COGS - provision.CHANNEL_COGS
    for client in (stack.client, stack.client2):
        assert mpe.functions.balances(client.address).call() == escrowed


def test_snet_account_balance_shows_the_mpe_deposit(stack, snet):
    from snet.cli.utils.token2cogs import cogs2strtoken

    done = snet("account", "balance")
    assert done.returncode == 0, done.stdout + done.stderr
    assert stack.client.address in done.stdout
    assert f"MPE: {cogs2strtoken(provision.DEPOSIT_COGS - provision.CHANNEL_COGS)}" in done.stdout


def test_snet_prints_the_published_service_metadata(stack, snet):
    done = snet("service", "print-metadata", stack.org_id, stack.service_id)
    assert done.returncode == 0, done.stdout + done.stderr
    metadata = json.loads(done.stdout)
    group = metadata["groups"][0]
    assert metadata["mpe_address"] == stack.mpe_address
    assert metadata["service_api_source"].startswith("ipfs://Qm")
    assert group["group_name"] == stack.group_name
    assert group["group_id"] == stack.group_id_base64
    assert group["endpoints"] == [stack.daemon_endpoint]
    assert group["pricing"] == [{"price_model": "fixed_price", "price_in_cogs": 10, "default": True}]
    assert group["free_calls"] == 1


def test_snet_extracts_the_published_service_api(stack, snet, tmp_path):
    done = snet("service", "get-api-registry", stack.org_id, stack.service_id, str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example_service.proto"]
    assert (tmp_path / "example_service.proto").read_text() == stack.proto_path.read_text()


@pytest.mark.parametrize("who", ["client", "client2"])
def test_each_client_has_a_channel_to_the_provider(stack, snet, who):
    identity = getattr(stack, who)
    done = snet("channel", "print-filter-sender", home=identity.home)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line and line[0].isdigit()]
    assert len(rows) == 1
    _channel_id, nonce, signer, recipient, group_id, _value, expiration = rows[0]
    assert (nonce, signer, recipient, group_id) == (
        "0", identity.address, stack.provider.address, stack.group_id_base64)
    assert int(expiration) > stack.block_number() + 90_000


def test_homes_are_separate_identities(stack):
    homes = {Path(i.home) for i in (stack.provider, stack.client, stack.client2)}
    assert len(homes) == 3
    for identity in (stack.provider, stack.client, stack.client2):
        config = (Path(identity.home) / ".snet" / "config").read_text()
        assert identity.private_key in config
        assert stack.mpe_address in config


def test_snet_client_call_pays_the_daemon_double(stack, snet):
    assert stack.daemon_handle is not None, "the stack must run with the daemon double (unset SNET_TEST_NO_DAEMON)"
    done = snet("client", "call", stack.org_id, stack.service_id, stack.group_name,
                "ping", '{"text": "hello"}', "-y", home=stack.client2.home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello" in done.stdout
