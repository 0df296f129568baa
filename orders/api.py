"""orders: api (built in the orders issue)."""
