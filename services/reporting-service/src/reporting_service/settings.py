from __future__ import annotations

from pydantic import Field, SecretStr

from qaf_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting-service"
    database_url: SecretStr = SecretStr(
        "postgresql://reporting_service_app:reporting_service_app@127.0.0.1:5432/reporting_service"
    )
    consumer_group: str = "reporting-service"
    # Low, so that a write shows in the Deep Dive quickly (aiokafka's default waits 500 ms).
    consumer_fetch_max_wait_ms: int = Field(default=10, ge=0, le=1000)
    # Large batches: a cell that several events of a batch touch is written once, and a fact
    # folded several times is loaded and saved once (1,000 -> 5,000 took the benchmark's
    # throughput from about 3,500 to 3,800 events/s; 5,000 -> 10,000 the cell rows written
    # per event of the mix with activity from 6.3 to 4.9; 10,000 -> 20,000 the backends'
    # CPU per event by a sixth, for 150 MB at the batch's peak instead of 88); a batch is
    # only this large when a backlog is waiting.
    consumer_max_records: int = Field(default=20_000, ge=1)
    # Transactions a batch is applied in at once, split by the fact each event folds into:
    # one folds while another waits for PostgreSQL. One: two groups of one batch write many
    # of the same count rows each (the tenant's, the areas'), 1.4 times the rows of one,
    # and the second waits for the first's row locks; at one, the facts' save and the next
    # batch's parsing overlap the folding instead (bench/README.md, "Consumer and rebuild").
    consumer_parallelism: int = Field(default=1, ge=1, le=16)
    # At parallelism 1, each batch is read and folded while the one before it is written
    # (qaf_shared/consumer/loop.py, `Turn`): Python's half of a batch and PostgreSQL's took
    # turns on the machine's cores before (bench/README.md, "Consumer and rebuild").
    consumer_pipelined: bool = True
    suppression_threshold: int = Field(default=5, ge=0)
    # How often a reader looks for newly applied events before answering from the report
    # cache (readcache.py): a report is at most this far behind the consumer's commits.
    report_recheck_ms: int = Field(default=100, ge=0, le=10_000)
    # Answer a kept Deep Dive or trend before FastAPI's routing (api/fast_reads.py): the
    # same answers, for a fraction of the CPU. Off: every request goes through its route.
    report_fast_path: bool = True
    # How often an idle publisher (workers/publisher.py) looks for changed quarters: a
    # snapshot is at most this much behind the batch that changed it, plus its decision.
    publisher_poll_ms: int = Field(default=200, ge=10, le=60_000)
    # While the consumer is more than a batch behind, the publisher publishes a quarter at
    # most this often (a decision is seconds of CPU the catching up would wait for).
    publisher_pause_while_behind_s: float = Field(default=30.0, ge=0, le=3600)
    # The region each tenant is benchmarked against, by the code the reference file gives
    # regions (docs/measures.md, "Benchmarks"): Kent and Medway are in the South East.
    benchmark_regions: dict[str, str] = Field(
        default_factory=lambda: {"886": "E12000008", "887": "E12000008"}
    )
    # Tenants that consent to be each other's live peers in the benchmarks (a tenant sees
    # peers only if it consents too); none unless an authority asks.
    benchmark_peers: list[str] = Field(default_factory=list)
    # Rebuild by itself when the active generation was built by older projections
    # (workers/auto_rebuild.py): looked at on start and then this often, and after a failed
    # rebuild of this code's version not again until `auto_rebuild_retry_s` after its start.
    auto_rebuild: bool = True
    auto_rebuild_check_s: float = Field(default=60.0, gt=0)
    auto_rebuild_retry_s: float = Field(default=3600.0, ge=0)
    # reporting-service publishes nothing of its own through an outbox.
    relay_enabled: bool = False
