"""Telling people about dossier changes: live events, pushes to followers and linked citizens, SMS."""

from dossiers.notify.service import announce

__all__ = ["announce"]
