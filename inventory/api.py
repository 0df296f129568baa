"""inventory: api (built in the inventory issue)."""
