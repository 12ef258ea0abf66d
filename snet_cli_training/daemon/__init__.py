"""The daemon side of the protocol: the client, its messages, authorization, and what the daemon answers."""
