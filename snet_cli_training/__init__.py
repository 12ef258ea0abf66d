"""snet-cli-training: the `snet training` command group for SingularityNET's snet-cli."""

__version__ = "0.1.0"
