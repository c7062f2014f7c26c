"""What phones and devices rely on: the exported API contract and the message documents.

Bump CONTRACT_VERSION (its major part) for any change that breaks a client; the test suite refuses a breaking
change to openapi.json under an unchanged major version.
"""

CONTRACT_VERSION = "1.0.0"
