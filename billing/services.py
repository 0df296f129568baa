"""billing: services (built in the billing issue)."""
