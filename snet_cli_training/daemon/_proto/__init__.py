"""Generated data only: protocol.binpb is the FileDescriptorSet compiled from protos/ (never edit by hand)."""
