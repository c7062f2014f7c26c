"""Alembic migrations of the smartcity database."""
