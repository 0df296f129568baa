"""billing: models (built in the billing issue)."""
