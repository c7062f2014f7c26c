"""The MQTT consumer: devices' messages from the broker into PostgreSQL, acknowledged after commit."""
