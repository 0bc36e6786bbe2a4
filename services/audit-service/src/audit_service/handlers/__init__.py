"""Use cases, one module per aggregate (audits, actions, concerns, programmes). Each takes
validated input (a Protocol naming what it reads, never the API's models), locks the
aggregate row first inside the caller's transaction, changes the rows and writes the events
it raises to the outbox; it returns rows, which the API shapes. Scheduling an audit instead
returns its row, statements and event, which the route runs as one statement."""
