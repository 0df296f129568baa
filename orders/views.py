"""orders: views (built in the orders issue)."""
