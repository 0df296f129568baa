"""shipping: services (built in the shipping issue)."""
