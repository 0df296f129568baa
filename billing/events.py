"""billing: events (built in the billing issue)."""
