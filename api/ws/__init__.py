"""The live channel: WebSocket gateway at /ws (protocol in mobile_contract/events.py and asyncapi.yaml)."""
