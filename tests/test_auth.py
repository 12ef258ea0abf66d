"""daemon/authorization.py and daemon/signature_cache.py: the signed bytes, the Signer, the cache, the Authorizer."""

from __future__ import annotations

import json
import os
import stat

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3

from snet_cli_training.daemon import authorization as auth
from snet_cli_training.daemon.signature_cache import SignatureCache
from snet_cli_training.snetcli.session import SnetSession

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32


class CountingSigner(auth.Signer):
    """A Signer over a local test key that counts its signatures."""

    def __init__(self, key: str = KEY) -> None:
        account = Account.from_key(key)
        self.signatures = 0

        def sign(hash32: bytes) -> bytes:
            self.signatures += 1
            return bytes(Account.sign_message(encode_defunct(primitive=hash32), key).signature)

        super().__init__(account.address, sign)


def _personal_hash(hash32: bytes) -> bytes:
    return Web3.keccak(b"\x19Ethereum Signed Message:\n32" + hash32)


class Blocks:
    """A block-number source that counts lookups."""

    def __init__(self, block: int = 1000) -> None:
        self.block = block
        self.lookups = 0

    def __call__(self) -> int:
        self.lookups += 1
        return self.block


def test_hash_is_solidity_keccak_of_message_address_block():
    address = Account.from_key(KEY).address
    expected = Web3.solidity_keccak(["string", "address", "uint256"], ["get_model", address, 123456])
    assert auth.authorization_hash("get_model", address, 123456) == bytes(expected)
    assert auth.authorization_hash("get_model", address.lower(), 123456) == bytes(expected)


def test_authorization_is_recoverable_the_way_the_daemon_does_it():
    signer = CountingSigner()
    details = auth.authorization("create_model", signer, 77)
    assert details.message == "create_model"
    assert details.current_block == 77
    assert details.signer_address == signer.address
    assert len(details.signature) == 65 and details.signature[64] in (27, 28)
    digest = auth.authorization_hash("create_model", signer.address, 77)
    assert Account._recover_hash(_personal_hash(digest), signature=details.signature) == signer.address


def _session_over(ident, unlock=None) -> SnetSession:
    """snet-cli's session around a given identity provider (its command object stands in for MPEClientCommand)."""
    import io
    import types

    session = SnetSession(config=None, wallet_index=0, out=io.StringIO())
    session.__dict__["command"] = types.SimpleNamespace(ident=ident, check_ident=unlock or (lambda: None))
    return session


def test_signer_from_snet_cli_key_identity():
    from snet.cli.identity import KeyIdentityProvider

    ident = KeyIdentityProvider(Web3(), KEY)
    signer = auth.Signer(*_session_over(ident).identity())
    assert signer.address == Account.from_key(KEY).address
    digest = auth.authorization_hash("get_model", signer.address, 5)
    assert auth.recover_signer(digest, signer.sign_hash(digest)) == signer.address


def test_signer_from_encrypted_identity_unlocks_first():
    from snet.cli.identity import KeyIdentityProvider

    ident = KeyIdentityProvider(Web3(), "::encrypted")
    assert ident.address is None
    signer = auth.Signer(*_session_over(ident, unlock=lambda: ident.set_secret(KEY)).identity())
    assert signer.address == Account.from_key(KEY).address


def test_signer_rejects_bad_signature_length():
    signer = auth.Signer(Account.from_key(KEY).address, lambda h: b"\x01" * 64)
    with pytest.raises(ValueError, match="64-byte"):
        signer.sign_hash(b"\x00" * 32)


def test_recover_signer_accepts_v_0_1_and_rejects_garbage():
    signer = CountingSigner()
    digest = b"\x05" * 32
    signature = signer.sign_hash(digest)
    low_v = signature[:64] + bytes([signature[64] - 27])
    assert auth.recover_signer(digest, low_v) == signer.address
    assert auth.recover_signer(digest, b"\x00" * 65) == ""
    assert auth.recover_signer(digest, b"\x00" * 10) == ""


def _authorizer(tmp_path, signer=None, blocks=None, network="local", warnings=None):
    cache = SignatureCache(tmp_path / "training" / "signatures.json",
                                warn=(warnings.append if warnings is not None else None))
    return auth.Authorizer(signer or CountingSigner(), blocks or Blocks(), cache=cache, network=network)


def test_ten_get_model_calls_cost_one_signature_and_one_lookup_each(tmp_path):
    signer, blocks = CountingSigner(), Blocks()
    authorizer = _authorizer(tmp_path, signer, blocks)
    for n in range(10):
        blocks.block += 1
        details = authorizer.details("get_model")
        assert details.message == "unified"
        assert details.current_block == 1001
        assert blocks.lookups == n + 1
    assert signer.signatures == 1


def test_unified_signature_is_shared_across_processes(tmp_path):
    first = _authorizer(tmp_path)
    signed = first.details("get_all_models")
    second_signer = CountingSigner()
    second = _authorizer(tmp_path, second_signer, Blocks(1300))
    reused = second.details("train_model_price")
    assert second_signer.signatures == 0
    assert reused.signature == signed.signature and reused.current_block == 1000


def test_cache_file_and_directory_are_private(tmp_path):
    _authorizer(tmp_path).details("get_model")
    path = tmp_path / "training" / "signatures.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == [".signatures.json.lock", "signatures.json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in path.parent.iterdir())


def test_unified_signature_is_replaced_before_its_window_ends(tmp_path):
    signer, blocks = CountingSigner(), Blocks()
    authorizer = _authorizer(tmp_path, signer, blocks)
    authorizer.details("get_model")
    blocks.block += auth.UNIFIED_WINDOW - auth.UNIFIED_SAFETY_MARGIN
    assert authorizer.details("get_model").current_block == 1000
    blocks.block += 1
    assert authorizer.details("get_model").current_block == blocks.block
    assert signer.signatures == 2
    # and the new one went to disk
    fresh = CountingSigner()
    assert _authorizer(tmp_path, fresh, Blocks(blocks.block)).details("get_model").current_block == blocks.block
    assert fresh.signatures == 0


def test_invalidate_drops_the_cached_signature(tmp_path):
    signer, blocks = CountingSigner(), Blocks()
    authorizer = _authorizer(tmp_path, signer, blocks)
    authorizer.details("get_model")
    authorizer.invalidate()
    blocks.block += 1
    assert authorizer.details("get_model").current_block == 1001
    assert signer.signatures == 2


def test_cache_is_keyed_by_network_and_address(tmp_path):
    _authorizer(tmp_path, network="local").details("get_model")
    other_network = CountingSigner()
    _authorizer(tmp_path, other_network, network="sepolia").details("get_model")
    other_address = CountingSigner(OTHER_KEY)
    _authorizer(tmp_path, other_address, network="local").details("get_model")
    assert other_network.signatures == 1 and other_address.signatures == 1
    entries = json.loads((tmp_path / "training" / "signatures.json").read_text())["entries"]
    assert set(entries) == {"local", "sepolia"}
    assert len(entries["local"]) == 2


def test_other_rpcs_sign_fresh_with_their_own_name(tmp_path):
    signer, blocks = CountingSigner(), Blocks()
    authorizer = _authorizer(tmp_path, signer, blocks)
    for rpc in ("create_model", "delete_model", "train_model", "update_model", "validate_model",
                "upload_and_validate"):
        details = authorizer.details(rpc)
        assert details.message == rpc and details.current_block == 1000
    assert signer.signatures == 6 and blocks.lookups == 6
    assert not (tmp_path / "training" / "signatures.json").exists()
    assert authorizer.details("create_model", block=5).current_block == 5 and blocks.lookups == 6
    with pytest.raises(ValueError):
        authorizer.details("get_training_metadata")


@pytest.mark.parametrize("content", [
    b"not json{",
    b"\xff\xfe",
    b"[]",
    json.dumps({"format": "something-else", "version": 1, "entries": {}}).encode(),
    json.dumps({"format": "snet-cli-training/signatures", "version": 1,
                "entries": {"local": {"0xabc": {"unified": {"block": "1000", "signature": "0x00"}}}}}).encode(),
])
def test_unusable_cache_file_is_ignored_with_one_warning(tmp_path, content):
    path = tmp_path / "training" / "signatures.json"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(content)
    os.chmod(path, 0o600)
    warnings: list[str] = []
    signer = CountingSigner()
    authorizer = _authorizer(tmp_path, signer, warnings=warnings)
    authorizer.details("get_model")
    authorizer.invalidate()
    authorizer.details("get_model")
    assert signer.signatures == 2
    assert len(warnings) == 1 and str(path) in warnings[0]
    assert warnings[0].startswith("ignoring ")  # the console adds the one `WARNING: ` prefix
    # the file was rewritten in our shape: the next process reads it without a warning
    later: list[str] = []
    _authorizer(tmp_path, CountingSigner(), warnings=later).details("get_model")
    assert later == []


def test_group_writable_cache_file_is_not_trusted(tmp_path):
    _authorizer(tmp_path).details("get_model")
    path = tmp_path / "training" / "signatures.json"
    os.chmod(path, 0o666)
    warnings: list[str] = []
    signer = CountingSigner()
    _authorizer(tmp_path, signer, warnings=warnings).details("get_model")
    assert signer.signatures == 1 and len(warnings) == 1


def test_cached_signature_of_someone_else_is_not_used(tmp_path):
    path = tmp_path / "training" / "signatures.json"
    _authorizer(tmp_path).details("get_model")
    document = json.loads(path.read_text())
    mine = Account.from_key(KEY).address.lower()
    forged = CountingSigner(OTHER_KEY).sign_hash(auth.authorization_hash("unified", mine, 1000))
    document["entries"]["local"][mine]["unified"]["signature"] = "0x" + forged.hex()
    path.write_text(json.dumps(document))
    signer = CountingSigner()
    details = _authorizer(tmp_path, signer, Blocks(1010)).details("get_model")
    assert signer.signatures == 1 and details.current_block == 1010


def test_without_a_cache_the_signature_is_reused_in_process():
    signer = CountingSigner()
    authorizer = auth.Authorizer(signer, Blocks())
    for _ in range(3):
        authorizer.details("get_all_models")
    assert signer.signatures == 1


def test_unreachable_node_and_failing_identity_are_typed_errors(tmp_path):
    from snet_cli_training import errors

    def no_node() -> int:
        raise ConnectionError("connection refused")

    with pytest.raises(errors.ChainUnavailable, match="connection refused"):
        auth.Authorizer(CountingSigner(), no_node).details("get_model")

    def locked(hash32: bytes) -> bytes:
        raise RuntimeError("Ledger is locked")

    signer = auth.Signer(Account.from_key(KEY).address, locked)
    with pytest.raises(errors.SigningError, match="could not sign: Ledger is locked"):
        auth.Authorizer(signer, Blocks()).details("create_model")
