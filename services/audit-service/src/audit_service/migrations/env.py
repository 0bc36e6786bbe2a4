from qaf_shared.migrations import PLATFORM_LOGS, run_env

# change_log: who changed what (0002); append-only like the access log.
run_env(append_only=(*PLATFORM_LOGS, "change_log"))
