"""inventory: views (built in the inventory issue)."""
