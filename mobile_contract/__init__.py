"""What phones and devices rely on: the exported API contract and the message documents.

Bump CONTRACT_VERSION (its major part) for any change that breaks a client; the test suite refuses a breaking
change to openapi.json under an unchanged major version.
"""

# 2.0.0: every operation got a short, stable operationId (`feedback_report_by_code`), a renamed method in
# every generated SDK. No app had shipped against 1.x; from now on an operationId does not change.
CONTRACT_VERSION = "2.0.0"
