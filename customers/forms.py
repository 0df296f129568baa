"""customers: forms (built in the customers issue)."""
