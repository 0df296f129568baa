"""purchasing: views (built in the purchasing issue)."""
