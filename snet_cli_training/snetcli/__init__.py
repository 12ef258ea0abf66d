"""The one adapter over snet-cli's internals: session, registry/IPFS, channels, service calls, tokens.

Nothing else in the plugin touches snet-cli's private API; every snet-cli failure leaves here
translated into the plugin's errors (translate.py), and every change to snet-cli's argument
namespace is undone after the call that needed it.
"""
