"""The report catalogue: departments, categories and their extra questions, the seed file, and the public
category routes."""
