"""purchasing: models (built in the purchasing issue)."""
