"""orders: selectors (built in the orders issue)."""
