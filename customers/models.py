"""customers: models (built in the customers issue)."""
