"""Shared foundations: settings, database, errors, logging, administrative units, geo helpers."""
