"""Health of the fleet and this host: metric series, their history, and alert rules."""
