"""billing: views (built in the billing issue)."""
