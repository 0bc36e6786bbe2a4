"""Request and response bodies of audit-service (its README, Endpoints)."""
