"""Agencies with a one-stop office, and the API keys that let their systems write their dossiers."""
