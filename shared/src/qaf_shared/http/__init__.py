"""HTTP plumbing every service shares: app factory, problem+json, auth, idempotency."""
