"""shipping: models (built in the shipping issue)."""
