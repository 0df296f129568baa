"""billing: selectors (built in the billing issue)."""
