"""What every part of the report domain shares about one report: its tables, statuses, answer shapes,
access rules, events and notifications."""
