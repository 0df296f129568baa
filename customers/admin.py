"""customers: admin (built in the customers issue)."""
