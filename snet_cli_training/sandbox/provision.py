"""Provision a fresh local network with stock snet-cli: HOMEs, org, service, channels.

`write_home` (pure file writing) builds one snet-cli HOME per identity.  The
user steps (organization create, service metadata-init / publish, account
deposit, channel open) run snet-cli's own command classes, in one separate
process (``python -m snet_cli_training.sandbox.provision`` reading its spec as JSON on
stdin; see `Provisioner`): snet-cli computes its
config folder from HOME at import time, so that process sets HOME before it
imports snet.cli and switches HOME (and passes the config folder explicitly)
for each identity.  snet-cli's 1 s sleep before every receipt poll is shimmed
out; blocks are mined with every transaction.
"""

from __future__ import annotations

import base64
import configparser
import copy
import decimal
import functools
import hashlib
import io
import json
import os
import subprocess
import sys
import types
from dataclasses import asdict, dataclass
from pathlib import Path

from snet_cli_training.sandbox.catalog import ECHO, PublishedService
from snet_cli_training.sandbox.processes import child_env, python_module

ORG_ID = ECHO.org_id
SERVICE_ID = ECHO.service_id
GROUP_NAME = "default_group"
NETWORK = "local"
PRICE_IN_COGS = ECHO.price_in_cogs
FREE_CALLS = 1
PAYMENT_EXPIRATION_THRESHOLD = 100
DEPOSIT_COGS = 10**12
CHANNEL_COGS = 10**11
CHANNEL_EXPIRATION = "+100000blocks"
PROTO_PATH = Path(ECHO.proto_files[0])
SNET_TOKEN_DECIMALS = 18  # snet-cli 3.1.1 reads every AMOUNT with 18 decimals


def group_id_bytes(group_name: str = GROUP_NAME) -> bytes:
    """The deterministic 32-byte id of a payment group."""
    return hashlib.sha256(f"snet-cli-training group {group_name}".encode()).digest()


def cogs_to_token_string(cogs: int) -> str:
    """The AMOUNT string snet-cli turns into exactly `cogs` cogs."""
    with decimal.localcontext() as context:
        context.prec = 100
        return format(decimal.Decimal(cogs).scaleb(-SNET_TOKEN_DECIMALS), "f")


@dataclass(frozen=True)
class Identity:
    name: str
    private_key: str
    address: str
    home: str


@dataclass(frozen=True)
class Network:
    rpc: str
    ipfs_port: int
    registry: str
    mpe: str
    token: str
    daemon_endpoint: str


def write_home(home: Path, network: Network, identity_name: str, private_key: str) -> None:
    """Write HOME/.snet/config with a `local` network and a plain-key identity as session."""
    folder = home / ".snet"
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    config = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    config[f"network.{NETWORK}"] = {
        "default_eth_rpc_endpoint": network.rpc,
        "current_registry_at": network.registry,
        "current_multipartyescrow_at": network.mpe,
        # snet-cli 3.1.1 looks the token up as "FetchToken"; `snet set` refuses this key.
        "current_fetchtoken_at": network.token,
        "current_singularitynettoken_at": network.token,
    }
    config["ipfs"] = {"default_ipfs_endpoint": f"/ip4/127.0.0.1/tcp/{network.ipfs_port}/http"}
    config["filecoin"] = {"filecoin_api_key": ""}
    config[f"identity.{identity_name}"] = {
        "identity_type": "key", "private_key": private_key, "network": NETWORK,
        "default_wallet_index": "0",
    }
    config["session"] = {"network": NETWORK, "identity": identity_name,
                         "default_wallet_index": "0"}
    path = folder / "config"
    with open(path, "w") as handle:
        config.write(handle)
    path.chmod(0o600)


def organization_metadata(payment_address: str, daemon_endpoint: str, org_id: str = ORG_ID) -> dict:
    """Organization metadata that passes snet-cli's org_schema.json."""
    return {
        "org_name": "Test Organization",
        "org_id": org_id,
        "org_type": "organization",
        "description": {"description": "Organization of the local test network.",
                        "short_description": "Local test organization",
                        "url": "http://localhost"},
        "assets": {},
        "contacts": [],
        "groups": [{
            "group_name": GROUP_NAME,
            "group_id": base64.b64encode(group_id_bytes()).decode(),
            "payment": {
                "payment_address": payment_address,
                "payment_expiration_threshold": PAYMENT_EXPIRATION_THRESHOLD,
                "payment_channel_storage_type": "etcd",
                "payment_channel_storage_client": {
                    "connection_timeout": "5s", "request_timeout": "5s",
                    "endpoints": ["http://127.0.0.1:2379"]},
            },
        }],
    }


def complete_service_metadata(metadata: dict, provider_address: str,
                              daemon_endpoint: str, service: PublishedService = ECHO) -> dict:
    """Add pricing, free calls and descriptions to what `metadata-init` wrote."""
    metadata = copy.deepcopy(metadata)
    group = metadata["groups"][0]
    group["pricing"] = [{"price_model": "fixed_price", "price_in_cogs": service.price_in_cogs,
                         "default": True}]
    group["free_calls"] = FREE_CALLS
    group["free_call_signer_address"] = provider_address
    group["daemon_addresses"] = [provider_address]
    group.setdefault("endpoints", [daemon_endpoint])
    metadata["service_description"] = {"url": "http://localhost", "description": service.description,
                                       "short_description": service.display_name}
    metadata.setdefault("media", [])
    metadata.setdefault("contributors", [])
    metadata.setdefault("tags", [])
    return metadata


# ---------------------------------------------------------------- in the provisioning process

@functools.cache
def _session(home: Path) -> tuple:
    """snet-cli's config and parser for `home`: building the parser costs ~70 ms, so once per identity."""
    from snet.cli import arguments
    from snet.cli.config import Config

    config = Config(_snet_folder=home / ".snet")
    return config, arguments.get_root_parser(config)


def _snet(home: Path, argv: list[str], log: io.StringIO) -> None:
    """Run one snet-cli command in this process, as the identity of `home`."""
    os.environ["HOME"] = str(home)
    config, parser = _session(home)
    args = parser.parse_args(argv)
    log.write(f"$ snet {' '.join(argv)}\n")
    getattr(args.cmd(config, args, log, log), args.fn)()


def _provision(spec: dict) -> None:
    import snet.cli.identity

    # snet-cli sleeps 1 s before every receipt poll; our chain mines at once.
    snet.cli.identity.time = types.SimpleNamespace(sleep=lambda _seconds: None)
    network = Network(**spec["network"])
    service = PublishedService(**dict(spec["service"], proto_files=tuple(spec["service"]["proto_files"])))
    provider = Identity(**spec["provider"])
    clients = [Identity(**client) for client in spec["clients"]]
    work = Path(spec["workdir"])
    log = io.StringIO()
    try:
        provider_home = Path(provider.home)
        org_file = work / "organization_metadata.json"
        org_file.write_text(json.dumps(organization_metadata(provider.address,
                                                             network.daemon_endpoint, service.org_id)))
        _snet(provider_home, ["organization", "create", service.org_id,
                              "--metadata-file", str(org_file), "-y"], log)

        proto_dir = work / "service_api"
        proto_dir.mkdir(exist_ok=True)
        for proto in map(Path, service.proto_files):
            (proto_dir / proto.name).write_bytes(proto.read_bytes())
        service_file = work / "service_metadata.json"
        _snet(provider_home, ["service", "metadata-init", str(proto_dir), service.display_name,
                              "--metadata-file", str(service_file),
                              "--group-name", GROUP_NAME,
                              "--endpoints", network.daemon_endpoint], log)
        metadata = json.loads(service_file.read_text())
        service_file.write_text(json.dumps(complete_service_metadata(
            metadata, provider.address, network.daemon_endpoint, service), indent=4))
        _snet(provider_home, ["service", "publish", service.org_id, service.service_id,
                              "--metadata-file", str(service_file), "-y"], log)

        for client in clients:
            home = Path(client.home)
            _snet(home, ["account", "deposit", cogs_to_token_string(DEPOSIT_COGS), "-y"], log)
            _snet(home, ["channel", "open", service.org_id, GROUP_NAME,
                         cogs_to_token_string(CHANNEL_COGS), CHANNEL_EXPIRATION, "-y"], log)
    except BaseException:
        sys.stderr.write(log.getvalue())
        raise
    sys.stdout.write(log.getvalue())


class Provisioner:
    """The provisioning process, started early so snet-cli's ~1 s import overlaps the chain's start.

    `start` spawns it with HOME set (it imports snet.cli at once and then waits
    for its spec on stdin); `provision` writes the HOMEs and hands it the spec;
    `wait` returns the snet-cli log or raises with it.
    """

    def __init__(self, workdir: Path, home: str) -> None:
        self.log_file = workdir / "provision.log"
        self.process = subprocess.Popen(
            python_module("snet_cli_training.sandbox.provision"), env=child_env(HOME=home),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def provision(self, network: Network, provider: Identity, clients: list[Identity],
                  workdir: Path, service: PublishedService = ECHO) -> None:
        for identity in [provider, *clients]:
            write_home(Path(identity.home), network, identity.name, identity.private_key)
        spec = {"network": asdict(network), "service": asdict(service), "provider": asdict(provider),
                "clients": [asdict(client) for client in clients], "workdir": str(workdir)}
        self.process.stdin.write(json.dumps(spec))
        self.process.stdin.close()
        self.process.stdin = None  # so that communicate() leaves it alone

    def wait(self, timeout: float = 60) -> str:
        output, _ = self.process.communicate(timeout=timeout)
        self.log_file.write_text(output)
        if self.process.returncode != 0:
            raise RuntimeError(f"provisioning failed:\n{output}")
        return output

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _main() -> None:
    # Import snet-cli (the slow part) before the spec arrives; HOME is already set.
    from snet.cli import arguments  # noqa: F401

    _provision(json.loads(sys.stdin.read()))


if __name__ == "__main__":
    _main()
