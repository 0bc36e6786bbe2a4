"""A row read by its key (`qaf_shared.by_key`): the tenant first, each key column its own
parameter in order, and the locking read the same read with its lock. (The reads themselves
run in every service's integration tests.)"""

from __future__ import annotations

from qaf_shared.by_key import ByKey


def test_a_record_is_read_by_tenant_and_id_unless_its_key_says_more() -> None:
    assert ByKey("SELECT id FROM t").sql == "SELECT id FROM t WHERE tenant = $1 AND id = $2"
    assert ByKey("SELECT id FROM t", "tenant", "provider", "id").sql == (
        "SELECT id FROM t WHERE tenant = $1 AND provider = $2 AND id = $3"
    )


def test_a_read_for_update_locks_the_row_with_its_own_lock() -> None:
    assert ByKey("SELECT id FROM t").locking_sql == (
        "SELECT id FROM t WHERE tenant = $1 AND id = $2 FOR UPDATE"
    )
    joined = ByKey("SELECT x.id FROM x", "x.tenant", "x.id", lock="FOR UPDATE OF x")
    assert (
        joined.locking_sql == "SELECT x.id FROM x WHERE x.tenant = $1 AND x.id = $2 FOR UPDATE OF x"
    )
