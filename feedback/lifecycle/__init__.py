"""Moving a report through its life: staff and reporter actions, merging, the SLA clock and the SLA task."""
