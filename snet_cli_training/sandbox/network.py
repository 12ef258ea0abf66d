"""LocalNetwork: chain + IPFS (+ an optional daemon double), contracts and snet-cli HOMEs.

``python -m snet_cli_training.sandbox.network`` starts the whole network, prints its
description as JSON (endpoints, addresses, HOME paths) and waits for Ctrl-C.

Everything that can start at once does: the chain (which deploys the contracts itself, at
addresses known in advance), IPFS, the provisioning process (importing snet-cli) and the daemon
(which reads the chain only when asked); provisioning then waits for the chain and IPFS.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snet_cli_training.sandbox import chain, provision
from snet_cli_training.sandbox.catalog import ECHO, PublishedService
from snet_cli_training.sandbox.daemon_hook import DaemonConfig, DaemonHook, default_daemon_hook, start_daemon
from snet_cli_training.sandbox.http_base import rpc_call
from snet_cli_training.sandbox.processes import free_port, ready_line, start_server, stop_process
from snet_cli_training.sandbox.provision import Identity, Network


@dataclass
class LocalNetwork:
    """A local SingularityNET network with one service published (testorg/echo unless told) and funded clients."""

    daemon: DaemonHook | None = None
    workdir: Path | None = None
    daemon_behaviour: str = "intended"  # the snet-daemon release the double behaves like (daemon/releases.py)
    service: PublishedService = ECHO
    client_names: tuple[str, ...] = ("client", "client2")
    group_name: str = provision.GROUP_NAME
    rpc: str = ""
    ipfs_endpoint: str = ""
    ipfs_port: int = 0
    daemon_port: int = 0
    daemon_endpoint: str = ""
    token_address: str = ""
    registry_address: str = ""
    mpe_address: str = ""
    provider: Identity | None = None
    client: Identity | None = None
    client2: Identity | None = None
    startup_seconds: float = 0.0
    daemon_config: DaemonConfig | None = None
    _processes: list = field(default_factory=list)
    daemon_handle: Any = None
    _own_workdir: bool = False

    def __post_init__(self) -> None:
        self.org_id, self.service_id = self.service.org_id, self.service.service_id

    @property
    def clients(self) -> list[Identity]:
        return [identity for identity in (self.client, self.client2) if identity]

    @property
    def group_id(self) -> bytes:
        return provision.group_id_bytes(self.group_name)

    @property
    def group_id_base64(self) -> str:
        return base64.b64encode(self.group_id).decode()

    @property
    def proto_path(self) -> Path:
        return Path(self.service.proto_files[0])

    def start(self) -> LocalNetwork:
        started = time.monotonic()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="snet-local-stack-"))
            self._own_workdir = True
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._make_identities()
        provisioner, daemon_start = None, None
        try:
            provisioner = provision.Provisioner(self.workdir, self.provider.home)
            chain_process = self._start_chain()
            ipfs_process = start_server("snet_cli_training.sandbox.ipfs.server", self.workdir / "ipfs.log")
            self._processes.append(ipfs_process)
            self.daemon_port = free_port()
            self.daemon_endpoint = f"http://127.0.0.1:{self.daemon_port}"
            self.daemon_config = self._daemon_config()
            if self.daemon is not None:
                starter = ThreadPoolExecutor(1, "daemon-start")
                daemon_start = starter.submit(start_daemon, self.daemon, self.daemon_config, self.workdir)
                starter.shutdown(wait=False)  # the one task runs on; the thread ends with it
            self._check_deployment(ready_line(chain_process, 30))
            ipfs = ready_line(ipfs_process, 20)
            self.ipfs_endpoint, self.ipfs_port = ipfs["ipfs"], ipfs["port"]
            network = Network(rpc=self.rpc, ipfs_port=self.ipfs_port,
                              registry=self.registry_address, mpe=self.mpe_address,
                              token=self.token_address, daemon_endpoint=self.daemon_endpoint)
            provisioner.provision(network, self.provider, self.clients, self.workdir, self.service)
            provisioner.wait()
            if daemon_start is not None:
                self.daemon_handle = daemon_start.result()
        except BaseException:
            if provisioner is not None:
                provisioner.kill()
            self._stop_started_daemon(daemon_start)
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _start_chain(self) -> subprocess.Popen:
        """Start the chain on a chosen port; it deploys the contracts itself, where `_check_deployment` expects them."""
        port = free_port()
        self.rpc = f"http://127.0.0.1:{port}"
        deployer = chain.dev_address("deployer")
        self.token_address, self.registry_address, self.mpe_address = (
            chain.created_address(deployer, nonce) for nonce in range(3))
        holders = [identity.address for identity in (self.provider, *self.clients)]
        process = start_server("snet_cli_training.sandbox.chain.server", self.workdir / "chain.log",
                               "--port", str(port), *[arg for address in holders for arg in ("--mint", address)])
        self._processes.append(process)
        return process

    def _check_deployment(self, ready: dict) -> None:
        found = (ready.get("rpc"), ready.get("token"), ready.get("registry"), ready.get("mpe"))
        expected = (self.rpc, self.token_address, self.registry_address, self.mpe_address)
        if found != expected:
            raise RuntimeError(f"the chain came up as {found}, not as expected {expected}")

    @staticmethod
    def _stop_started_daemon(daemon_start: Future | None) -> None:
        """A daemon that came up while the rest failed is stopped too."""
        if daemon_start is None:
            return
        try:
            handle = daemon_start.result(timeout=60)
        except Exception:  # noqa: BLE001 - it failed to start: nothing to stop
            return
        stop = getattr(handle, "stop", None) or handle.terminate
        stop()

    def _make_identities(self) -> None:
        def identity(role: str) -> Identity:
            return Identity(name=role, private_key=chain.dev_private_key(role),
                            address=chain.dev_address(role),
                            home=str(self.workdir / "homes" / role))

        self.provider = identity("provider")
        clients = [identity(name) for name in self.client_names]
        self.client, self.client2 = (clients + [None, None])[:2]

    def _daemon_config(self) -> DaemonConfig:
        return DaemonConfig(
            rpc=self.rpc, port=self.daemon_port, endpoint=self.daemon_endpoint,
            mpe_address=self.mpe_address, registry_address=self.registry_address,
            token_address=self.token_address, org_id=self.org_id,
            service_id=self.service_id, group_name=self.group_name,
            group_id_base64=self.group_id_base64, payment_address=self.provider.address,
            payment_expiration_threshold=provision.PAYMENT_EXPIRATION_THRESHOLD,
            price_in_cogs=self.service.price_in_cogs, free_calls=provision.FREE_CALLS,
            proto_path=str(self.proto_path), provider_private_key=self.provider.private_key,
            proto_files=self.service.proto_files, provider=self.service.provider,
            daemon_behaviour=self.daemon_behaviour)

    def mine(self, blocks: int = 1) -> int:
        """Mine `blocks` empty blocks; return the new block number."""
        return int(rpc_call(self.rpc, "evm_mine", [blocks]), 16)

    def take_chain_request_counts(self) -> dict[str, int]:
        """JSON-RPC requests per method the chain answered since the last take."""
        return rpc_call(self.rpc, "test_takeRequestCounts", [])

    def fund_escrow(self, private_key: str, cogs: int) -> None:
        """Give the key's address `cogs` tokens (from the provider) and deposit them into its MPE escrow."""
        from eth_account import Account

        from snet_cli_training.sandbox import contracts

        w3 = self.web3()
        address = Account.from_key(private_key).address
        token = contracts.contract(w3, "SingularityNetToken", self.token_address)
        mpe = contracts.contract(w3, "MultiPartyEscrow", self.mpe_address)
        contracts.transact(w3, self.provider.private_key, token.functions.transfer(address, cogs), gas=200_000)
        contracts.transact(w3, private_key, token.functions.approve(self.mpe_address, cogs), gas=200_000)
        contracts.transact(w3, private_key, mpe.functions.deposit(cogs), gas=200_000)

    def block_number(self) -> int:
        return int(rpc_call(self.rpc, "eth_blockNumber", []), 16)

    def web3(self) -> Any:
        from web3 import Web3

        return Web3(Web3.HTTPProvider(self.rpc))

    def env(self, identity: Identity | None = None) -> dict[str, str]:
        """Environment for a `snet` subprocess acting as `identity` (default: client)."""
        identity = identity or self.client
        return dict(os.environ, HOME=identity.home, PYTHONWARNINGS="ignore")

    def describe(self) -> dict:
        return {
            "rpc": self.rpc, "ipfs": self.ipfs_endpoint, "daemon_endpoint": self.daemon_endpoint,
            "daemon_control": getattr(self.daemon_handle, "control_url", None),
            "token": self.token_address, "registry": self.registry_address,
            "mpe": self.mpe_address, "org_id": self.org_id, "service_id": self.service_id,
            "group_name": self.group_name, "group_id_base64": self.group_id_base64,
            "identities": {i.name: {"address": i.address, "home": i.home,
                                    "private_key": i.private_key}
                           for i in (self.provider, *self.clients)},
            "provider": self.service.provider, "daemon_behaviour": self.daemon_behaviour,
            "service_price_cogs": self.service.price_in_cogs,
            "workdir": str(self.workdir), "startup_seconds": round(self.startup_seconds, 2),
        }

    def children(self) -> dict[str, subprocess.Popen]:
        """The server processes this network runs, by name."""
        found = dict(zip(("chain", "ipfs"), self._processes, strict=False))
        daemon = getattr(self.daemon_handle, "process", self.daemon_handle)
        if isinstance(daemon, subprocess.Popen):
            found["daemon"] = daemon
        return found

    def stop(self) -> None:
        handle, self.daemon_handle = self.daemon_handle, None
        if handle is not None:
            stop = getattr(handle, "stop", None) or handle.terminate
            stop()
            if isinstance(handle, subprocess.Popen):
                handle.wait(5)
        for process in self._processes:  # all at once, then each reaped
            process.terminate()
        for process in self._processes:
            stop_process(process)
        self._processes = []
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalNetwork:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-daemon", action="store_true", help="start no daemon double")
    parser.add_argument("--daemon-behaviour", default="intended",
                        help="the snet-daemon release the double behaves like: intended, v6.0, v6.0-dynamic-pricing, v6.1, v6.2")
    args = parser.parse_args()
    stack = LocalNetwork(daemon=None if args.no_daemon else default_daemon_hook(),
                         daemon_behaviour=args.daemon_behaviour).start()
    print(json.dumps(stack.describe(), indent=2), flush=True)
    for identity in (*stack.clients, stack.provider):
        print(f"# as {identity.name}: HOME={identity.home} snet ...", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
