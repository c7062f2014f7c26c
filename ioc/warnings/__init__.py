"""Public warnings: published to citizens of chosen wards, served as JSON, CAP 1.2 and a feed."""
