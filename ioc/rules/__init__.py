"""Alert rules: definitions and versions, their evaluation on ingested batches, new reports and time."""
