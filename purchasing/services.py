"""purchasing: services (built in the purchasing issue)."""
