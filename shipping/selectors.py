"""shipping: selectors (built in the shipping issue)."""
