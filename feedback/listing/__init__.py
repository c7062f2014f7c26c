"""Lists of reports: a citizen's own, the public feed and map, the officers' inbox and its CSV export."""
