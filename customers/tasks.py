"""customers: tasks (built in the customers issue)."""
