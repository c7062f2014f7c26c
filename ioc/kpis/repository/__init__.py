"""All SQL of the KPIs: one module per section, and the buckets every time series shares."""
