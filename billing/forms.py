"""billing: forms (built in the billing issue)."""
