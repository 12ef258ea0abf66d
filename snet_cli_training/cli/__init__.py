"""The command line: argparse definitions, and dispatch from snet-cli to the handlers."""
