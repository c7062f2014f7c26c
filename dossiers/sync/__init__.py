"""The agencies' sync API: dossier upserts, status changes and apologies in batches, and the read side."""
