"""How a background job runs: one active instance per database (singleton), retries with backoff, stopping on
a signal. The relay, the push dispatcher, the report SLA task, the device task and the ingest writer are all
written with these pieces, so each of them stops, stands by and reconnects the same way.
"""
