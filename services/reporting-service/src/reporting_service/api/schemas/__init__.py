"""Response bodies of reporting-service and their shaping (CSV rows, the status figures)."""
