"""customers has no background work."""
