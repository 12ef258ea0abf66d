"""Deploying the contracts inside the chain's own process, before it serves anyone.

Through HTTP JSON-RPC the three deployments and the mints cost about a second of round trips;
web3 talking to the EVM in-process does the same work in about half that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from web3 import Web3
from web3.providers import BaseProvider

from snet_cli_training.sandbox import contracts
from snet_cli_training.sandbox.chain import dev_private_key

if TYPE_CHECKING:  # the module that imports eth-tester loads only in the chain's process
    from snet_cli_training.sandbox.chain.evm import Chain


class InProcessProvider(BaseProvider):
    """A web3 provider that answers from a Chain object in this process."""

    def __init__(self, chain: Chain) -> None:
        super().__init__()
        self.chain = chain

    def make_request(self, method: Any, params: Any) -> Any:
        return {"jsonrpc": "2.0", "id": 1, "result": self.chain.dispatch(str(method), list(params))}

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def deploy(chain: Chain, holders: list[str]) -> dict[str, str]:
    """Deploy token, Registry and MultiPartyEscrow from the deployer account, mint to `holders`; their addresses."""
    deployed = contracts.deploy(Web3(InProcessProvider(chain)), dev_private_key("deployer"), holders)
    return {"token": deployed.token, "registry": deployed.registry, "mpe": deployed.mpe}
