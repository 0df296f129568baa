"""orders: admin (built in the orders issue)."""
