"""customers: services (built in the customers issue)."""
