"""Schemathesis over a running service's OpenAPI, as the services' contract tests run it:
no server error and no response that breaks its own schema."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from qaf_shared.settings import RUN_DIR
from qaf_shared.testing.processes import start_service


def run_schemathesis(
    base_url: str,
    *,
    headers: dict[str, str],
    max_examples: int = 30,
    checks: str = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
    name: str = "schemathesis",
    options: Sequence[str] = (),
) -> tuple[int, str]:
    """Run the schemathesis CLI against `base_url` (with more CLI `options`, such as
    `--include-path-regex`); return its exit code and output (also written to
    .run/test-logs/<name>.log)."""
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        checks,
        "--max-examples",
        str(max_examples),
        "--seed",
        "20261125",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
    ]
    for header, value in headers.items():
        args += ["-H", f"{header}: {value}"]
    args += options
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    log_dir: Path = RUN_DIR / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{name}.log").write_text(output)
    return result.returncode, output


def run_schemathesis_on_service(
    name: str,
    factory: str,
    env: dict[str, str],
    headers: dict[str, str],
    options: Sequence[str] = (),
) -> tuple[int, str]:
    """Start the app `factory` makes as a real process (`name`, with `env`), run schemathesis
    against it with `headers` (and CLI `options`), and stop it; schemathesis's exit code and
    output."""
    process, base = start_service(name, factory, env)
    try:
        return run_schemathesis(base, headers=headers, name=name, options=options)
    finally:
        process.kill()
