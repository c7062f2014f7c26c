"""All SQL of incidents, by concern: finding what a new alarm or report links with (`matching`), changing
an incident and recomputing what it derives from its members (`changes`), and reading (`reads`)."""
