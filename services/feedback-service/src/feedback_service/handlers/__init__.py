"""feedback-service's use cases, one module per aggregate: each runs inside one transaction,
changes the rows and writes the events it raises to the outbox (after the rows, so that
per-aggregate order holds). A new feedback item reads nothing first, so it is one statement
instead (`feedback.new_item`). They take validated input and answer rows and domain results;
how a caller sees them is the api's."""
