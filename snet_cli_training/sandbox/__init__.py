"""A local SingularityNET network on one machine: chain, contracts, IPFS, a published service and a daemon double.

`network.LocalNetwork` starts it (``python -m snet_cli_training.sandbox.network``); the test suite
runs against the same code. Its heavy dependency, eth-tester on py-evm (the `sandbox` extra), is
imported only by the chain's server process, never by importing this package.
"""
