"""purchasing: api (built in the purchasing issue)."""
