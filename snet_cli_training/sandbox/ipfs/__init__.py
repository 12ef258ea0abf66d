"""The IPFS stand-in: content under real CIDv0 hashes (`dag`), kept in memory (`store`), served over HTTP (`server`)."""
