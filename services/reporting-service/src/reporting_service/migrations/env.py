from qaf_shared.migrations import run_env
from reporting_service.repository.generations import SCHEMA_PATTERN

# No case-level logs (reporting holds no case-level records); the log of reference loads is
# only ever added to, and the reference rows a load replaces are never updated in place. The
# projection generations are made and dropped by the running service (a rebuild), so its
# runtime role creates and owns them.
run_env(
    append_only=("benchmark_loads",),
    insert_delete_only=("benchmark_values", "benchmark_neighbours"),
    own_schemas=SCHEMA_PATTERN,
)
