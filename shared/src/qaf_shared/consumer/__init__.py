"""The one consumer loop: dedupe by event id and apply in one transaction, then commit offsets."""

from qaf_shared.consumer.loop import (
    AfterCommit,
    Applier,
    EventConsumer,
    SchemaForBatch,
    consumer_tables_ddl,
)

__all__ = ["AfterCommit", "Applier", "EventConsumer", "SchemaForBatch", "consumer_tables_ddl"]
