"""orders: models (built in the orders issue)."""
