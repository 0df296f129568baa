"""purchasing: events (built in the purchasing issue)."""
