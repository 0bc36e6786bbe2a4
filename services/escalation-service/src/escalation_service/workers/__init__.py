"""Background loops the app runs beside its routes."""
