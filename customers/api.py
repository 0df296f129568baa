"""customers: api (built in the customers issue)."""
