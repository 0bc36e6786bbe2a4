"""Request and response bodies of escalation-service (its README)."""
