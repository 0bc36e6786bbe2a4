"""Use cases: each runs inside the caller's transaction, locks the aggregate row first, changes
the rows and writes the events it raises to the outbox."""
