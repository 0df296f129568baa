"""inventory: events (built in the inventory issue)."""
