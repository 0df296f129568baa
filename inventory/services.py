"""inventory: services (built in the inventory issue)."""
