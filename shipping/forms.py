"""shipping: forms (built in the shipping issue)."""
