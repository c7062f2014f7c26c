"""All SQL of alarms, by concern: the journal (timeline and reactions) and the rest beside it."""
