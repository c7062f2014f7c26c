"""The device simulator behind `smartcity simulate` and bench/ingest.py: a province of cameras and sensors
placed in the demo wards, readings with daily patterns, scripted incidents, and a fast MQTT publisher."""
