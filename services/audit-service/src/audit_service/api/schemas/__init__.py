"""Request and response bodies of audit-service (its README, Endpoints), one module per
resource, each with the function that shapes its rows as callers see them."""
