"""inventory: admin (built in the inventory issue)."""
