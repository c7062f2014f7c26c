"""Field dispatch: field staff positions and availability, offers to the nearest, acceptance, progress."""
