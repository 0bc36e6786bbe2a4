"""docker-compose.yml, checked without a Docker engine: it conforms to the Compose
Specification's schema (check-jsonschema's vendored copy), every name it uses is declared,
it starts things in order, and its services, ports, settings and secrets are the code's.
deploy/compose/secrets.sh is run for real in a scratch tree."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"


def _app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run a QA service (not a job): built with SERVICE, published."""
    return {
        name: svc for name, svc in compose["services"].items() if "build" in svc and "ports" in svc
    }


def _secret_targets(service: dict[str, Any]) -> dict[str, str]:
    """target file name -> secret name, for the secrets a compose service mounts."""
    out = {}
    for entry in service.get("secrets", []):
        if isinstance(entry, str):
            out[entry] = entry
        else:
            out[entry.get("target", entry["source"])] = entry["source"]
    return out


def _file_secrets(service: dict[str, Any]) -> set[str]:
    """The mounted secrets a service reads as files, through a `QA_*_FILE` setting naming
    /run/secrets/<target> (activity-service's child_key secret), rather than as the variable
    the entrypoint exports from a file named for it."""
    return {
        str(value).removeprefix("/run/secrets/")
        for key, value in (service.get("environment") or {}).items()
        if key.startswith("QA_")
        and key.endswith("_FILE")
        and str(value).startswith("/run/secrets/")
    }


def _exported_secrets(service: dict[str, Any]) -> dict[str, str]:
    """The mounted secrets the entrypoint exports as settings (target = variable name)."""
    files = _file_secrets(service)
    return {t: s for t, s in _secret_targets(service).items() if t not in files}


def test_compose_file_conforms_to_the_compose_specification() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(COMPOSE_FILE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_what_compose_would(tmp_path: Path) -> None:
    broken = COMPOSE_FILE.read_text().replace("    depends_on:\n", "    depend_on:\n", 1)
    (tmp_path / "docker-compose.yml").write_text(broken)
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(tmp_path / "docker-compose.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "depend_on" in result.stdout + result.stderr


def test_every_name_the_services_use_is_declared(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        for dependency in svc.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for network in svc.get("networks", []):
            assert network in compose["networks"], f"{name}: undeclared network {network}"
        for source in _secret_targets(svc).values():
            assert source in compose["secrets"], f"{name}: undeclared secret {source}"
        for config in svc.get("configs", []):
            assert config["source"] in compose["configs"], f"{name}: undeclared config"
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"


def test_secrets_and_keys_come_from_git_ignored_files_never_from_the_file_itself(
    compose: dict[str, Any],
) -> None:
    for name, declared in {**compose["secrets"], **compose["configs"]}.items():
        path = declared["file"]
        assert path.startswith("./.run/"), f"{name} should live under .run/ (git-ignored)"
        ignored = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False
        )
        assert ignored.returncode == 0, f"{path} is not git-ignored"
    for name, svc in compose["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|DATABASE_URL|TOKEN", key):
                assert key.endswith("_FILE") and str(value).startswith("/run/secrets/"), (
                    f"{name}: {key} carries a secret value inline"
                )


def test_each_service_is_built_from_the_one_dockerfile_and_served_on_its_fixed_port(
    compose: dict[str, Any], services: list[Any]
) -> None:
    apps = _app_services(compose)
    assert set(apps) == {s.name for s in services}
    for service in services:
        svc = apps[service.name]
        assert svc["build"]["context"] == "."
        assert svc["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
        assert svc["build"]["args"] == {"SERVICE": service.name, "PORT": str(service.port)}
        assert svc["command"] == [
            "uvicorn", "--factory", f"{service.package}.main:create_app",
            "--host", "0.0.0.0", "--port", str(service.port),
        ]  # fmt: skip
        assert svc["ports"] == [f"127.0.0.1:{service.port}:{service.port}"]
        probe = " ".join(svc["healthcheck"]["test"])
        assert f"127.0.0.1:{service.port}/readyz" in probe


def test_fixed_ports_are_the_ones_make_run_uses(services: list[Any]) -> None:
    script = (REPO / "deploy" / "local" / "services.sh").read_text()
    listed = re.search(r"^SERVICES=\((.*)\)$", script, re.M)
    assert listed, "deploy/local/services.sh no longer lists SERVICES=(name:port ...)"
    local = dict(entry.strip('"').split(":") for entry in listed[1].split())
    assert {name: int(port) for name, port in local.items()} == {s.name: s.port for s in services}


def test_jobs_create_the_topics_and_run_each_services_migrations(
    compose: dict[str, Any], services: list[Any]
) -> None:
    jobs = {n: s for n, s in compose["services"].items() if s.get("restart") == "no"}
    assert set(jobs) == {"kafka-topics"} | {f"{s.name}-migrate" for s in services}
    assert jobs["kafka-topics"]["command"] == ["python", "-m", "qaf_shared.kafka"]
    for service in services:
        job = jobs[f"{service.name}-migrate"]
        assert job["command"] == ["python", "-m", "qaf_shared.migrations", service.package]
        assert job["image"] == compose["services"][service.name]["image"]
        assert job["build"] == compose["services"][service.name]["build"]
        # the owner's URL and nothing else: no child_key secret, no runtime role's URL
        assert _secret_targets(job) == {"QA_DATABASE_URL": f"{service.package}_database_url"}


def test_migrations_run_as_the_owner_and_the_service_as_its_runtime_role(
    compose: dict[str, Any], services: list[Any]
) -> None:
    """Least privilege (docs/architecture.md, Security): the migration job gets the owner's
    URL and names the runtime role it grants; the service gets only the runtime role's URL."""
    for service in services:
        job = compose["services"][f"{service.name}-migrate"]
        runtime_role = f"{service.package}_app"
        assert job["environment"]["QA_DATABASE_RUNTIME_ROLE"] == runtime_role
        app = compose["services"][service.name]
        assert _exported_secrets(app) == {"QA_DATABASE_URL": f"{runtime_role}_database_url"}
        assert "QA_DATABASE_RUNTIME_ROLE" not in (app.get("environment") or {})


def test_up_starts_things_in_order(compose: dict[str, Any], services: list[Any]) -> None:
    all_services = compose["services"]
    for name in ("postgres", "kafka"):
        assert "healthcheck" in all_services[name], f"{name} needs a health check"
    assert all_services["kafka-topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for service in services:
        assert all_services[f"{service.name}-migrate"]["depends_on"] == {
            "postgres": {"condition": "service_healthy"}
        }
        assert all_services[service.name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "kafka": {"condition": "service_healthy"},
            "kafka-topics": {"condition": "service_completed_successfully"},
            f"{service.name}-migrate": {"condition": "service_completed_successfully"},
        }


def test_activity_service_reads_its_child_key_secret_from_a_mounted_file(
    compose: dict[str, Any],
) -> None:
    """Pseudonymity (docs/activity.md): the HMAC secret reaches activity-service only, as a
    compose secret, and the setting names the file rather than holding the value."""
    app = compose["services"]["activity-service"]
    path = app["environment"]["QA_CHILD_KEY_SECRET_FILE"]
    assert "QA_CHILD_KEY_SECRET" not in app["environment"]
    mounted = _secret_targets(app)[path.removeprefix("/run/secrets/")]
    assert compose["secrets"][mounted]["file"].startswith("./.run/compose/secrets/")
    holders = {
        name
        for name, svc in compose["services"].items()
        if mounted in _secret_targets(svc).values()
    }
    assert holders == {"activity-service"}


def test_infrastructure_is_the_chosen_one_and_private(compose: dict[str, Any]) -> None:
    kafka, postgres = compose["services"]["kafka"], compose["services"]["postgres"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"])
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert postgres["image"] == "postgres:15"
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("kafka", "postgres"):
        assert "ports" not in compose["services"][name], f"{name} should not be published"
        assert compose["services"][name]["networks"] == ["backend"]


def test_settings_are_the_services_own_and_their_values_are_accepted(
    compose: dict[str, Any], services: list[Any]
) -> None:
    for service in services:
        for name in (service.name, f"{service.name}-migrate"):
            svc = compose["services"][name]
            env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
            secrets = set(_exported_secrets(svc))
            files = _file_secrets(svc)
            assert files <= set(_secret_targets(svc)), f"{name} names a secret file it lacks"
            unknown = {k for k in env if k.startswith("QA_")} - service.env_names
            assert not unknown, f"{name} sets {unknown}, which {service.settings.__name__} lacks"
            assert secrets <= service.secret_env_names, f"{name} mounts unknown {secrets}"
            assert not set(env) & service.secret_env_names, f"{name} sets a secret inline"
            example = {s: f"postgresql://{service.package}:pw@postgres:5432/x" for s in secrets}
            service.validate_settings({**env, **example})
        served = {
            *compose["services"][service.name]["environment"],
            *_secret_targets(compose["services"][service.name]),
        }
        needed = {"QA_DATABASE_URL", "QA_KAFKA_BOOTSTRAP_SERVERS", "QA_AUTH_JWKS"}
        assert needed | {"QA_AUTH_ISSUER", "QA_AUTH_AUDIENCE"} <= served
        jwks = compose["services"][service.name]["environment"]["QA_AUTH_JWKS"]
        assert {"source": "jwks", "target": jwks} in compose["services"][service.name]["configs"]
    topics_env = compose["services"]["kafka-topics"]["environment"]
    assert set(topics_env) == {"QA_KAFKA_BOOTSTRAP_SERVERS"}


def test_postgres_gets_an_owner_and_a_runtime_role_password_for_every_service(
    compose: dict[str, Any], services: list[Any]
) -> None:
    postgres = compose["services"]["postgres"]
    assert set(_secret_targets(postgres)) == {"postgres_password"} | {
        f"{s.package}{role}_db_password" for s in services for role in ("", "_app")
    }
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_secrets_script_writes_every_secret_the_compose_file_mounts_once(
    tmp_path: Path, compose: dict[str, Any], services: list[Any]
) -> None:
    """Run deploy/compose/secrets.sh in a scratch tree with the same services/ (and a stand-in
    for `make keys`): the files it writes are exactly the ones compose mounts, private to their
    directory, consistent with each other, and a second run changes none of them."""
    script = tmp_path / "deploy" / "compose" / "secrets.sh"
    script.parent.mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "compose" / "secrets.sh", script)
    for service in services:
        (tmp_path / "services" / service.name).mkdir(parents=True)
    (tmp_path / "Makefile").write_text(
        "keys:\n\t@mkdir -p .run/dev-keys && touch .run/dev-keys/jwks.json\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}

    subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, check=True, capture_output=True)
    secrets_dir = tmp_path / ".run" / "compose" / "secrets"
    written = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    declared = {Path(s["file"]).name for s in compose["secrets"].values()}
    assert set(written) == declared
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    for service in services:
        password = written[f"{service.package}_db_password"]
        assert len(password) >= 32
        assert written[f"{service.package}_database_url"] == (
            f"postgresql://{service.package}:{password}@postgres:5432/{service.package}"
        )
        runtime_password = written[f"{service.package}_app_db_password"]
        assert len(runtime_password) >= 32 and runtime_password != password
        assert written[f"{service.package}_app_database_url"] == (
            f"postgresql://{service.package}_app:{runtime_password}@postgres:5432/{service.package}"
        )
    assert len(bytes.fromhex(written["activity_service_child_key_secret"])) == 32
    assert (tmp_path / ".run" / "dev-keys" / "jwks.json").exists()

    subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == written


@pytest.mark.parametrize("script", ["deploy/compose/secrets.sh", "deploy/compose/postgres-init.sh"])
def test_compose_scripts_pass_shellcheck(script: str, tool: Any) -> None:
    result = subprocess.run(
        [tool("shellcheck"), "--severity=style", script],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_postgres_init_script_gives_each_service_a_database_closed_to_the_others(
    services: list[Any],
) -> None:
    """deploy/compose/postgres-init.sh against a throwaway PostgreSQL of this machine's (the
    postgres image runs it the same way: psql as the superuser over the local socket), then
    each service's migrations as its owner, as the migration job runs them: the service's
    runtime role can then connect to its own database only and change rows, not tables."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    assert bins, "PostgreSQL's server binaries are missing (deploy/local/postgres.sh installs them)"
    bin_dir = bins[-1].parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="qa-pginit-"))
    try:
        if as_postgres:
            shutil.chown(root, "postgres")
        data, secrets = root / "data", root / "secrets"
        secrets.mkdir(mode=0o755)
        for service in services:
            (secrets / f"{service.package}_db_password").write_text(f"pw-{service.package}")
            (secrets / f"{service.package}_app_db_password").write_text(f"app-{service.package}")
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PGHOST": str(root),
               "PGPORT": "5432", "POSTGRES_USER": "postgres", "SECRETS_DIR": str(secrets)}  # fmt: skip

        def run(*command: str, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*as_postgres, "env", *(f"{k}={v}" for k, v in {**env, **extra}.items()),
                 *command],
                capture_output=True, text=True, check=False,
            )  # fmt: skip

        assert run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust").returncode == 0
        (data / "pg_hba.conf").write_text("local all postgres trust\nlocal all all scram-sha-256\n")
        started = run(
            "pg_ctl", "-D", str(data), "-w", "-l", str(root / "log"), "-o",
            f"-c listen_addresses='' -c unix_socket_directories={root} -p 5432", "start",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        try:
            init = run("bash", str(REPO / "deploy" / "compose" / "postgres-init.sh"))
            assert init.returncode == 0, init.stderr
            for service in services:
                own = run("psql", "-X", "-At", "-U", service.package, "-d", service.package,
                          "-c", "select current_user, pg_encoding_to_char(encoding), datcollate"
                          " from pg_database where datname = current_database()",
                          PGPASSWORD=f"pw-{service.package}")  # fmt: skip
                assert own.stdout.strip() == f"{service.package}|UTF8|C.UTF-8", own.stderr
                wrong = run("psql", "-X", "-U", service.package, "-d", service.package, "-c",
                            "select 1", PGPASSWORD="guess")  # fmt: skip
                assert wrong.returncode != 0
                other = next(s for s in services if s != service).package
                foreign = run("psql", "-X", "-U", service.package, "-d", other, "-c", "select 1",
                              PGPASSWORD=f"pw-{service.package}")  # fmt: skip
                assert foreign.returncode != 0 and "CONNECT" in foreign.stderr, foreign.stderr

                runtime_role = f"{service.package}_app"
                migrate = subprocess.run(
                    [sys.executable, "-m", "qaf_shared.migrations", service.package],
                    env={**os.environ, "QA_DATABASE_RUNTIME_ROLE": runtime_role,
                         "QA_DATABASE_URL": f"postgresql://{service.package}:pw-{service.package}"
                                            f"@/{service.package}?host={root}&port=5432"},
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                assert migrate.returncode == 0, migrate.stderr
                as_runtime = run(
                    "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", runtime_role,
                    "-d", service.package, "-c",
                    "select current_user, rolcreatedb, rolcreaterole, rolsuper,"
                    " has_table_privilege('alembic_version', 'SELECT'),"
                    " has_schema_privilege('public', 'CREATE'),"
                    " (select count(*) from pg_class where relowner = current_user::regrole)"
                    " from pg_roles where rolname = current_user",
                    PGPASSWORD=f"app-{service.package}",
                )  # fmt: skip
                # no role attributes, no migrations' table, no DDL in public, owns nothing
                expected = f"{runtime_role}|f|f|f|f|f|0"
                assert as_runtime.stdout.strip() == expected, as_runtime.stderr
                foreign = run("psql", "-X", "-U", runtime_role, "-d", other, "-c", "select 1",
                              PGPASSWORD=f"app-{service.package}")  # fmt: skip
                assert foreign.returncode != 0 and "CONNECT" in foreign.stderr, foreign.stderr
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
