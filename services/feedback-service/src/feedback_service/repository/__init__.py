"""feedback-service's SQL (asyncpg), one module per aggregate: the rows, always scoped by
tenant (and, for the provider's own records, by provider)."""
