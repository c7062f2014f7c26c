"""All SQL of alert rules, by concern: definitions and versions, rule states, alarms raised by the rules."""
