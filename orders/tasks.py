"""orders: tasks (built in the orders issue)."""
