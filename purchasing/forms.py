"""purchasing: forms (built in the purchasing issue)."""
