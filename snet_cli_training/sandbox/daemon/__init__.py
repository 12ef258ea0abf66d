"""A gRPC double of snet-daemon v6: training.Daemon, channel state and the proxied service, with a control API."""
