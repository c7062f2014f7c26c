"""Accounts, sign-in, tokens, API keys and who may do what."""
