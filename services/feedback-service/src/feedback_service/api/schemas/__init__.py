"""Request and response bodies of feedback-service, one module per resource, and how each
resource is shaped for its callers."""
