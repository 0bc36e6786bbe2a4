"""SQL (asyncpg) of escalation-service: every query scoped by tenant."""
