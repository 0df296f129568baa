"""purchasing: selectors (built in the purchasing issue)."""
