"""Request and response bodies of audit-service (API.md § audit-service)."""
