"""orders: forms (built in the orders issue)."""
