"""Report KPIs for staff: volumes, timeliness and satisfaction."""
