"""The Open311 GeoReport v2 facade: discovery, services, service requests, tokens and updates."""
