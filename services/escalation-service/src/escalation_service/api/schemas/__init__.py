"""Request and response bodies of escalation-service (API.md § escalation-service)."""
