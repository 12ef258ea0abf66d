"""The subcommands, one module per family; each handler takes the Invocation and returns an Outcome."""
