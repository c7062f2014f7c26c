"""Incidents: alarms and citizen reports close in space and time, joined into one."""
