"""All SQL of field dispatch, by concern: field staff status, dispatches and offers, progress and photos."""
