from qaf_shared.migrations import PLATFORM_LOGS, run_env

run_env(append_only=PLATFORM_LOGS)
