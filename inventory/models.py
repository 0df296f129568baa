"""inventory: models (built in the inventory issue)."""
