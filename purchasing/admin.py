"""purchasing: admin (built in the purchasing issue)."""
