"""shipping: events (built in the shipping issue)."""
