"""Devices over MQTT: registry, credentials, topic contract, validation, storage, consumer, simulator."""
