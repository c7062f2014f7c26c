"""On-time figures of dossiers per agency or unit and period, the open data, the IOC's figure events."""
