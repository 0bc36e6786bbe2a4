from qaf_shared.migrations import PLATFORM_LOGS, run_env

# escalation_activity: the change log, who did what to an escalation (0002); append-only.
run_env(append_only=(*PLATFORM_LOGS, "escalation_activity"))
