"""The HTTP API: application assembly, lifespan, routes, health and metrics, and the command line."""
