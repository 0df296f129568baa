"""billing: admin (built in the billing issue)."""
