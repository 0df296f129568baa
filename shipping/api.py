"""shipping: api (built in the shipping issue)."""
