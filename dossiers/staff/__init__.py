"""What officers see of their units' dossiers, and the apologies they write for late ones."""
