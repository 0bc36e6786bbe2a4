"""Request and response bodies of audit-service (API.md § audit-service), one module per
resource, each with the function that shapes its rows as callers see them."""
