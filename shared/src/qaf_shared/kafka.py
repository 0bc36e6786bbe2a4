"""Kafka plumbing: the clients' connection and security options, producer settings, the
declarative topic file, a readiness probe."""

from __future__ import annotations

import asyncio
import contextlib
import pkgutil
import random
import struct
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)
from aiokafka.helpers import create_ssl_context

from qaf_shared.settings import REPO_ROOT, ServiceSettings

TOPICS_FILE = REPO_ROOT / "deploy" / "topics.yaml"


class KafkaSettingsError(RuntimeError):
    """A Kafka security setting names a file or hook that cannot be used (the message names
    the setting, never a secret)."""


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """The one place Kafka clients get their connection: bootstrap servers, TLS and SASL as
    aiokafka's keyword arguments, for a producer, a consumer or an admin client alike.
    Secret files are read on every call, so a client built after a Secret was rotated uses
    the new one."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "PLAINTEXT":
        return options
    try:
        options["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_ca_file,
            certfile=settings.kafka_ssl_cert_file,
            keyfile=settings.kafka_ssl_key_file,
        )
    except OSError as exc:  # ssl.SSLError is one
        raise KafkaSettingsError(
            f"QA_KAFKA_SSL_* files cannot be loaded: {type(exc).__name__}"
        ) from None
    mechanism = settings.kafka_sasl_mechanism
    if mechanism is None:
        return options
    options["sasl_mechanism"] = mechanism
    if mechanism == "OAUTHBEARER":
        options["sasl_oauth_token_provider"] = _token_provider(
            settings.kafka_sasl_oauth_token_provider or ""
        )
    else:
        options["sasl_plain_username"] = _secret_file(
            "QA_KAFKA_SASL_USERNAME_FILE", settings.kafka_sasl_username_file
        )
        options["sasl_plain_password"] = _secret_file(
            "QA_KAFKA_SASL_PASSWORD_FILE", settings.kafka_sasl_password_file
        )
    return options


def _secret_file(setting: str, path: Path | None) -> str:
    if path is None:
        raise KafkaSettingsError(f"{setting} is not set")
    try:
        # A Secret mounted as a file may end in a newline that is no part of the secret.
        value = path.read_text().strip()
    except OSError as exc:
        raise KafkaSettingsError(f"{setting} cannot be read: {type(exc).__name__}") from None
    if not value:
        raise KafkaSettingsError(f"{setting} names an empty file")
    return value


def _token_provider(dotted: str) -> AbstractTokenProvider:
    """Call the factory QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER names (e.g. MSK's IAM signer)."""
    try:
        factory = pkgutil.resolve_name(dotted)
    except (ImportError, AttributeError, ValueError) as exc:
        raise KafkaSettingsError(
            f"QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER cannot be imported: {type(exc).__name__}"
        ) from None
    provider = factory()
    if not isinstance(provider, AbstractTokenProvider):
        raise KafkaSettingsError(
            "QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER must name a callable returning an "
            "aiokafka.abc.AbstractTokenProvider"
        )
    return provider


def failure_reason(exc: BaseException) -> str:
    """What `/readyz` says of a Kafka failure: its kind, never its message (a broker's error
    text can name a user or a topic)."""
    if isinstance(exc, SaslAuthenticationFailed):
        return "authentication failed"
    if isinstance(exc, TopicAuthorizationFailedError):
        return "not authorized to write its topic"
    if isinstance(exc, KafkaSettingsError):
        return "security settings unusable"
    return f"unavailable ({type(exc).__name__})"


def admin_client(settings: ServiceSettings, **overrides: Any) -> AIOKafkaAdminClient:
    """An admin client with the service's connection and security options."""
    return AIOKafkaAdminClient(**{**client_options(settings), **overrides})


_MASK = 0xFFFFFFFF
_M = 0x5BD1E995


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of a record key (the Java client's `Utils.murmur2`, which aiokafka's
    `murmur2` copies byte by byte), as an unsigned 32-bit int: the whole 4-byte words read in
    one `struct` call. The same value as aiokafka's (a test compares them), at a fraction of
    its cost, which was the largest part of publishing an event."""
    length = len(data)
    h = 0x9747B28C ^ length
    whole = length // 4
    for k in struct.unpack_from(f"<{whole}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        rest = whole * 4
        if tail == 3:
            h ^= data[rest + 2] << 16
        if tail >= 2:
            h ^= data[rest + 1] << 8
        h = ((h ^ data[rest]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def key_partitioner(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """aiokafka's `DefaultPartitioner` with the faster `murmur2`: a key's partition is the one
    every earlier version of the relay chose for it, so an aggregate's events stay in one
    partition, in order, across an upgrade."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[(murmur2(key) & 0x7FFFFFFF) % len(all_partitions)]


# Fewer keys of one length than this are hashed one by one: numpy's calls cost more.
_ARRAY_FROM = 8


def murmur2_of(keys: Sequence[bytes]) -> list[int]:
    """`murmur2` of each key, in order: the keys of each length hashed together, a column of
    4-byte words at a time with numpy's wrapping uint32 arithmetic (a relay's claim is
    hundreds of keys of one length, a record id's text; one by one, the hash was the largest
    part of publishing an event). The same values as `murmur2` (a test compares them)."""
    hashes = [0] * len(keys)
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        by_length[len(key)].append(index)
    for length, indexes in by_length.items():
        if len(indexes) < _ARRAY_FROM:
            for index in indexes:
                hashes[index] = murmur2(keys[index])
            continue
        same = _murmur2_of_length(b"".join([keys[i] for i in indexes]), len(indexes), length)
        for index, value in zip(indexes, same, strict=True):
            hashes[index] = value
    return hashes


def _murmur2_of_length(joined: bytes, count: int, length: int) -> list[int]:
    """`murmur2` of `count` keys of `length` bytes each, given joined."""
    data = np.frombuffer(joined, dtype=np.uint8).reshape(count, length)
    h = np.full(count, 0x9747B28C ^ length, dtype=np.uint32)
    whole = length // 4
    if whole:
        k = data[:, : whole * 4].copy().view("<u4").astype(np.uint32, copy=False)
        k *= _M
        k ^= k >> 24
        k *= _M
        for column in k.T:
            h *= _M
            h ^= column
    tail = length & 3
    if tail:
        rest = whole * 4
        if tail == 3:
            h ^= data[:, rest + 2].astype(np.uint32) << 16
        if tail >= 2:
            h ^= data[:, rest + 1].astype(np.uint32) << 8
        h ^= data[:, rest]
        h *= _M
    h ^= h >> 13
    h *= _M
    h ^= h >> 15
    hashes: list[int] = h.tolist()
    return hashes


class PartitionBatches:
    """Keyed records gathered into aiokafka batches (`create_batch`), one partition's at a
    time, each record in the partition `send` would choose for its key (`key_partitioner`'s
    choice, over the same partition list; the keys of a topic hashed together, `murmur2_of`),
    then sent with `send_batch` and acknowledged together. `send` per record built,
    partitioned and awaited each record on its own, with a future per record: that was most
    of a relay's cost per event.

    A partition's records keep the order they were added in: its batches go one after the
    other (aiokafka queues a partition's next batch only once the last was taken), and an
    idempotent producer retries a batch without reordering. Keys are required (the records
    of an aggregate must share a partition)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._records: dict[str, list[tuple[bytes, bytes, Sequence[tuple[str, bytes]]]]] = {}

    def add(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Add a record, to go in its partition's batch when sent."""
        records = self._records.get(topic)
        if records is None:
            records = self._records[topic] = []
        records.append((key, value, headers))

    async def _batches(self) -> dict[tuple[str, int], list[Any]]:
        """The records added, in batches per partition, in the order they were added."""
        batches: dict[tuple[str, int], list[Any]] = {}
        for topic, records in self._records.items():
            # The list `send` partitions over: the producer's metadata, waited for as it waits.
            partitions = list(await self._producer.partitions_for(topic))
            count = len(partitions)
            hashes = murmur2_of([key for key, _, _ in records])
            for (key, value, headers), hashed in zip(records, hashes, strict=True):
                partition = partitions[(hashed & 0x7FFFFFFF) % count]
                open_batches = batches.get((topic, partition))
                if open_batches is None:
                    open_batches = batches[(topic, partition)] = [self._producer.create_batch()]
                last = open_batches[-1]
                if last.append(timestamp=None, key=key, value=value, headers=headers) is None:
                    # Full (and closed by the refusal): a new batch, which takes any first record.
                    open_batches.append(self._producer.create_batch())
                    open_batches[-1].append(timestamp=None, key=key, value=value, headers=headers)
        self._records.clear()
        return batches

    async def send(self) -> None:
        """Send every record added and wait until the broker acknowledged all of them; raise
        the first failure (after every batch sent has been answered)."""

        async def partition_batches(topic: str, partition: int, batches: list[Any]) -> None:
            for batch in batches:
                batch.close()  # nothing more comes: no linger
                acks.append(await self._producer.send_batch(batch, topic, partition=partition))

        acks: list[asyncio.Future[Any]] = []
        sent = await asyncio.gather(
            *(partition_batches(t, p, b) for (t, p), b in (await self._batches()).items()),
            return_exceptions=True,
        )
        acked = await asyncio.gather(*acks, return_exceptions=True)
        for outcome in (*sent, *acked):
            if isinstance(outcome, BaseException):
                raise outcome


def idempotent_producer(settings: ServiceSettings, **overrides: Any) -> AIOKafkaProducer:
    """The producer every publisher uses: acks from all replicas, idempotence on, so a retry
    never duplicates or reorders a record within a partition; keys partitioned as aiokafka's
    default partitioner does, faster (`key_partitioner`)."""
    options: dict[str, Any] = {
        **client_options(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "request_timeout_ms": 15000,
        "partitioner": key_partitioner,
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
    settings: ServiceSettings, *, prefix: str = "", path: Path = TOPICS_FILE
) -> list[str]:
    """Create every topic of the file that does not exist yet; return the names created."""
    admin = admin_client(settings)
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
    """Answers whether the broker is reachable with the service's credentials, for
    `/readyz`."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None

    async def ready(self) -> bool:
        """True when the broker answers."""
        return await self.check() == "ok"

    async def check(self) -> str:
        """ "ok", or why not (`failure_reason`)."""
        try:
            if self._admin is None:
                admin = admin_client(self._settings, request_timeout_ms=3000)
                try:
                    await asyncio.wait_for(admin.start(), 3)
                except BaseException:
                    with contextlib.suppress(Exception):
                        await admin.close()
                    raise
                self._admin = admin
            await asyncio.wait_for(self._admin.describe_cluster(), 3)
            return "ok"
        except KafkaConnectionError:
            # The client says only that it could not bootstrap; one connection of our own
            # tells a refused login from a broker that does not answer.
            return await self._why_not()
        except Exception as exc:
            return failure_reason(exc)

    async def _why_not(self) -> str:
        options = client_options(self._settings)
        host, port, _ = collect_hosts(options.pop("bootstrap_servers"))[0]
        try:
            conn = await asyncio.wait_for(
                create_conn(host, port, request_timeout_ms=3000, **options), 3
            )
        except Exception as exc:
            return failure_reason(exc)
        conn.close()
        return "unavailable (KafkaConnectionError)"

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()


def main() -> None:
    """`python -m qaf_shared.kafka`: create the topics of deploy/topics.yaml, connecting with
    the QA_KAFKA_* settings (as an admin user, on a secured broker)."""
    settings = ServiceSettings()
    created = asyncio.run(ensure_topics(settings, prefix=settings.kafka_topic_prefix))
    print(f"topics created: {', '.join(created) or 'none (all exist)'}")


if __name__ == "__main__":
    main()
