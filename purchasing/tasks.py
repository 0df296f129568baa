"""purchasing: tasks (built in the purchasing issue)."""
