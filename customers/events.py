"""customers: events (built in the customers issue)."""
