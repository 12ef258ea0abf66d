"""`python -m snet_cli_training ...` behaves like `snet ...` with the plugin loaded."""

import sys

import snet_cli_training_hook


def main() -> None:
    """Run stock snet-cli's entry point with the plugin hook armed."""
    snet_cli_training_hook.install()
    from snet.cli import main as snet_main

    snet_main()


if __name__ == "__main__":
    sys.exit(main())
