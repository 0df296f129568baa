"""inventory: selectors (built in the inventory issue)."""
