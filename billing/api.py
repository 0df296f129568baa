"""billing: api (built in the billing issue)."""
