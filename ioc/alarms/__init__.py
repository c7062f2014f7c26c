"""Alarms: lifecycle, timeline, live events, officers' pushes, reminders and preferences."""
