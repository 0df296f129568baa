"""shipping: views (built in the shipping issue)."""
