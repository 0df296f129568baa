"""orders: services (built in the orders issue)."""
