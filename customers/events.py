"""customers publishes no events and subscribes to none: it is the bottom of the order flow.
Higher apps read customers through ``customers.selectors`` and change them through
``customers.services``."""
