"""All SQL of the on-time figures: the on-time state as SQL, and the counts."""
