"""The procedure catalogue: the national procedures with their deadlines, fees and documents, the public
search that ignores Vietnamese diacritics, the agencies' upsert through the sync API, and the seed sample."""
