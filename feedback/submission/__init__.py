"""Filing a report: validation, numbering and routing, photos, idempotency keys, duplicates, "me too" and
following."""
