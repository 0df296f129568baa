"""shipping: tasks (built in the shipping issue)."""
