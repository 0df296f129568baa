"""billing: tasks (built in the billing issue)."""
