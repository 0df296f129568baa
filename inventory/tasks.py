"""inventory: tasks (built in the inventory issue)."""
