"""What devices send, once stored: readings, rollups, camera events, latest states and dead letters, their
history routes, and the worker's device task (liveness, live updates, partitions, retention, rollups)."""
