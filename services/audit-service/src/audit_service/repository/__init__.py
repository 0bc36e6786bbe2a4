"""SQL (asyncpg) of audit-service: every query scoped by tenant."""
