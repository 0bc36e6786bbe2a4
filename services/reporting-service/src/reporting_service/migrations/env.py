from qaf_shared.migrations import run_env
from reporting_service.repository.generations import SCHEMA_PATTERN

# No logs (reporting holds no case-level records). The projection generations are made and
# dropped by the running service (a rebuild), so its runtime role creates and owns them.
run_env(own_schemas=SCHEMA_PATTERN)
