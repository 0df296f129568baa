"""customers: views (built in the customers issue)."""
