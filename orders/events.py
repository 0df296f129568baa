"""orders: events (built in the orders issue)."""
