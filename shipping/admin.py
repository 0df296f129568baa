"""shipping: admin (built in the shipping issue)."""
