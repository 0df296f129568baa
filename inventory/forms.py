"""inventory: forms (built in the inventory issue)."""
