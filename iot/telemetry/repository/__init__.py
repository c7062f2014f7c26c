"""The telemetry's SQL, one module per concern: history reads, device states, partitions, retention and
rollups."""
