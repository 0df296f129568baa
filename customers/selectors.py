"""customers: selectors (built in the customers issue)."""
