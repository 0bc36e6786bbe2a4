"""The transactional outbox: a writer used inside the domain transaction and a relay."""

from qaf_shared.outbox.writer import add_events, collecting, insert_rows_sql, rows_param

__all__ = ["add_events", "collecting", "insert_rows_sql", "rows_param"]
