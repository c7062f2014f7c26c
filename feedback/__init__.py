"""Citizen reports (phản ánh hiện trường): categories, routing, lifecycle, SLA, ratings, Open311."""
