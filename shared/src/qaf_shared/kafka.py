"""Kafka plumbing: producer settings, the declarative topic file, a readiness probe."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from qaf_shared.settings import REPO_ROOT

TOPICS_FILE = REPO_ROOT / "deploy" / "topics.yaml"


def idempotent_producer(bootstrap_servers: str, **overrides: Any) -> AIOKafkaProducer:
    """The producer every publisher uses: acks from all replicas, idempotence on, so a retry
    never duplicates or reorders a record within a partition."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "request_timeout_ms": 15000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def load_topics(path: Path = TOPICS_FILE) -> list[dict[str, Any]]:
    """Read the declarative topic file: `defaults` merged into each entry of `topics`."""
    doc = yaml.safe_load(path.read_text())
    defaults = doc.get("defaults", {})
    topics = []
    for entry in doc["topics"]:
        merged = {**defaults, **entry}
        merged["config"] = {**defaults.get("config", {}), **entry.get("config", {})}
        topics.append(merged)
    return topics


async def ensure_topics(
    bootstrap_servers: str, *, prefix: str = "", path: Path = TOPICS_FILE
) -> list[str]:
    """Create every topic of the file that does not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=prefix + t["name"],
                num_partitions=int(t["partitions"]),
                replication_factor=int(t["replication_factor"]),
                topic_configs={k: str(v) for k, v in t["config"].items()},
            )
            for t in load_topics(path)
            if prefix + t["name"] not in existing
        ]
        if wanted:
            # Another process may win the race; the topics then exist, which is all we need.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


class KafkaProbe:
    """Answers whether the broker is reachable, for `/readyz`."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=3000
        )
        self._started = False

    async def ready(self) -> bool:
        try:
            if not self._started:
                await asyncio.wait_for(self._admin.start(), 3)
                self._started = True
            await asyncio.wait_for(self._admin.describe_cluster(), 3)
            return True
        except Exception:
            return False

    async def close(self) -> None:
        if self._started:
            await self._admin.close()


def main() -> None:
    """`python -m qaf_shared.kafka`: create the topics of deploy/topics.yaml."""
    import os

    bootstrap = os.environ.get("QA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    prefix = os.environ.get("QA_KAFKA_TOPIC_PREFIX", "")
    created = asyncio.run(ensure_topics(bootstrap, prefix=prefix))
    print(f"topics created: {', '.join(created) or 'none (all exist)'}")


if __name__ == "__main__":
    main()
