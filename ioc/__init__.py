"""Intelligent operations centre: alert rules and lifecycle, map layers, KPIs, CAP export, the wall."""
