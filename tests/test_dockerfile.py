"""The Dockerfile and its entrypoint, checked without a Docker engine: hadolint (strict, with
deploy/docker/hadolint.yaml) and shellcheck lint them; the structure an operator relies on is
asserted; the build stage's own instructions are replayed in a scratch directory (the files
.dockerignore lets through, the same uv commands) and the result must hold the one service,
able to build its app; the entrypoint is run for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = REPO / "deploy" / "docker" / "entrypoint.sh"


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def _stages() -> dict[str, Stage]:
    """The Dockerfile's stages by name, each instruction as (KEYWORD, rest of the line), with
    continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical:
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            base, _, name = rest.partition(" AS ")
            current = stages[name.strip()] = Stage(base.strip(), name.strip())
        else:
            assert current is not None, f"{line} before any FROM"
            current.instructions.append((keyword.upper(), rest.strip()))
    return stages


def test_hadolint_finds_nothing(tool: Any) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--config", "deploy/docker/hadolint.yaml", "--format", "json",
         "Dockerfile"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    findings = json.loads(result.stdout or "[]")
    assert result.returncode == 0 and not findings, json.dumps(findings, indent=2)


def test_hadolint_with_our_settings_still_flags_a_careless_dockerfile(
    tool: Any, tmp_path: Path
) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run(
        [tool("hadolint"), "--config", str(REPO / "deploy/docker/hadolint.yaml"), "--format",
         "json", str(careless)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert result.returncode != 0 and {"DL3006", "DL3008", "DL3009"} <= codes, codes


def test_entrypoint_passes_shellcheck(tool: Any) -> None:
    result = subprocess.run(
        [tool("shellcheck"), "--severity=style", str(ENTRYPOINT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_build_uses_the_locked_two_step_uv_sync_for_one_service() -> None:
    stages = _stages()
    assert list(stages) == ["uv", "build", "runtime"]
    uv_version = re.search(r"^UV_VERSION=(\S+)$", (REPO / "deploy/local/uv.sh").read_text(), re.M)
    assert uv_version and stages["uv"].base == f"ghcr.io/astral-sh/uv:{uv_version[1]}"
    # The virtualenv's interpreter is the base image's: both stages must use the same one.
    assert stages["build"].base == stages["runtime"].base
    assert re.fullmatch(r"python:3\.11-slim-\w+", stages["runtime"].base)
    runs = [rest for keyword, rest in stages["build"].instructions if keyword == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert len(syncs) == 2
    first, second = syncs
    for run in syncs:
        assert "--mount=type=cache,target=/root/.cache/uv" in run
        assert "uv sync --frozen --no-dev" in run and '--package "${SERVICE}"' in run
    assert "--no-install-workspace" in first and "--no-install-workspace" not in second
    assert "source=uv.lock" in first and "source=pyproject.toml" in first
    copies = [rest for keyword, rest in stages["build"].instructions if keyword == "COPY"]
    assert copies.index("services/${SERVICE} services/${SERVICE}") > 0
    order = [rest for keyword, rest in stages["build"].instructions if keyword in ("RUN", "COPY")]
    assert order.index(first) < order.index("shared shared") < order.index(second)


def test_final_image_has_no_build_tools_runs_unprivileged_and_checks_its_health() -> None:
    runtime = _stages()["runtime"]
    text = " ".join(f"{k} {r}" for k, r in runtime.instructions)
    assert "--from=uv" not in text and "uv " not in text, "uv stays in the build stage"
    others = " ".join(f"{k} {r}" for k, r in runtime.instructions if "apt-get" not in r)
    assert not re.search(r"apt-get|pip install|gcc|build-essential", others)
    assert ("COPY", "--from=build /app /app") in runtime.instructions
    (user,) = [r for k, r in runtime.instructions if k == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root user lets runAsNonRoot verify it"
    assert any(k == "HEALTHCHECK" and "/healthz" in r for k, r in runtime.instructions)
    assert ("ENTRYPOINT", '["qa-entrypoint"]') in runtime.instructions
    assert ("CMD", '["serve"]') in runtime.instructions
    for keyword, rest in runtime.instructions:
        if keyword in ("ENV", "ARG", "LABEL"):
            assert "QA_" not in rest, "settings come from the environment at run time"
            assert not re.search(r"PASSWORD|SECRET|TOKEN", rest, re.I)


def _script_packages(kind: str) -> list[str]:
    """A package list (`RUNTIME`, `TEST`) of deploy/local/debian-packages.sh."""
    script = (REPO / "deploy/local/debian-packages.sh").read_text()
    found = re.search(rf"^{kind}=\(([^)]*)\)$", script, re.M)
    assert found, f"no {kind}=(...) in debian-packages.sh"
    return found[1].split()


def test_reporting_image_installs_the_runtime_debian_packages_and_only_those() -> None:
    runtime = _stages()["runtime"]
    (install,) = [r for k, r in runtime.instructions if k == "RUN" and "apt-get" in r]
    # Only for the service that makes PDFs, without what the packages merely recommend, and
    # without apt's lists left in the layer.
    assert install.startswith('if [ "${SERVICE}" = "reporting-service" ]; then')
    assert "apt-get install -y --no-install-recommends" in install
    assert "rm -rf /var/lib/apt/lists/*" in install
    listed = install.split("--no-install-recommends", 1)[1].split("&&", 1)[0].split()
    assert sorted(listed) == sorted(_script_packages("RUNTIME"))
    assert not set(listed) & set(_script_packages("TEST")), "test tools stay out of the image"
    at = runtime.instructions.index(("RUN", install))
    user = next(i for i, (k, _) in enumerate(runtime.instructions) if k == "USER")
    assert at < user, "installed as root, before USER"


def _dockerignore_allows(path: str) -> bool:
    """.dockerignore's verdict on a context path (its last matching line wins)."""
    allowed = True
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if re.fullmatch(regex, path) or re.fullmatch(regex + "/.*", path):
            allowed = negate
    return allowed


def test_dockerignore_lets_through_what_the_build_copies_and_nothing_private() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    context = {p for p in tracked if _dockerignore_allows(p)}
    for path in ("pyproject.toml", "uv.lock", "deploy/topics.yaml", "deploy/docker/entrypoint.sh"):
        assert path in context, f"the build copies {path}, .dockerignore drops it"
    for name in ("shared", *(f"services/{p.name}" for p in (REPO / "services").iterdir())):
        assert f"{name}/pyproject.toml" in context
        assert any(p.startswith(f"{name}/src/") for p in context)
        assert not any(p.startswith(f"{name}/tests/") for p in context)
    for private in (".run/compose/secrets/x", ".run/dev-keys/private.pem", ".venv/bin/python",
                    ".git/config", "tests/test_contracts.py"):  # fmt: skip
        assert not _dockerignore_allows(private), f"{private} would reach the build"


def _replay_build_stage(service: str, port: int, root: Path) -> Path:
    """Carry out the build stage's instructions with `root` standing for the image's `/`:
    COPY from the context (through .dockerignore), RUN with its bind mounts, ENV and WORKDIR
    mapped under root. Returns the image's /app. Anything else the stage does fails here, so
    this replay cannot silently skip a step."""
    uv = (
        os.environ.get("UV")
        or shutil.which("uv")
        or subprocess.run(
            ["bash", "deploy/local/uv.sh"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    args = {"SERVICE": service, "PORT": str(port)}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_PROJECT_ENVIRONMENT", "UV_PYTHON", "VIRTUAL_ENV", "QA_"))
    }
    env["PATH"] = f"{Path(uv).parent}:{env['PATH']}"
    env.update(args)

    def inside(path: str) -> Path:
        return root / path.lstrip("/")

    def expand(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], env.get(m[1], m[0])), text)

    workdir = inside("/")
    for keyword, rest in _stages()["build"].instructions:
        if keyword == "ARG":
            continue
        if keyword == "WORKDIR":
            workdir = inside(rest)
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for assignment in shlex.split(rest):
                key, _, value = assignment.partition("=")
                env[key] = str(inside(value)) if value.startswith("/") else value
        elif keyword == "COPY" and rest.startswith("--from=uv"):
            continue  # uv comes from this machine (the same version: see the test above)
        elif keyword == "COPY":
            *sources, target = (expand(p) for p in rest.split())
            for source in sources:
                files = [p for p in _tracked(source) if _dockerignore_allows(p)]
                assert files, f"COPY {source}: nothing in the build context"
                for path in files:
                    if (REPO / source).is_dir():
                        destination = workdir / target / Path(path).relative_to(source)
                    elif target.endswith("/") or len(sources) > 1:
                        destination = workdir / target / Path(path).name
                    else:
                        destination = workdir / target
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / path, destination)
        elif keyword == "RUN":
            mounts = re.findall(r"--mount=(\S+)", rest)
            command = re.sub(r"--mount=\S+\s*", "", rest)
            bound = []
            for mount in mounts:
                options = dict(o.split("=", 1) for o in mount.split(","))
                if options["type"] == "bind":
                    destination = workdir / options["target"]
                    shutil.copy2(REPO / options["source"], destination)
                    bound.append(destination)
            result = subprocess.run(
                ["sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                check=False,
            )  # fmt: skip
            assert result.returncode == 0, f"RUN {command}\n{result.stdout}{result.stderr}"
            for path in bound:  # a bind mount leaves nothing behind in the layer
                path.unlink()
        else:
            pytest.fail(f"the replay does not know {keyword}: teach it, or build for real")
    return inside("/app")


def _tracked(source: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", source], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return listed


def test_build_stage_yields_the_one_service_ready_to_serve(
    tmp_path: Path, services: list[Any]
) -> None:
    service = next(s for s in services if s.name == "reporting-service")
    app = _replay_build_stage(service.name, service.port, tmp_path / "image")
    python = app / ".venv" / "bin" / "python"
    keys = tmp_path / "keys"
    probe = f"""
import importlib.util, pathlib
from qaf_shared.devtoken import ensure_keys
from qaf_shared.kafka import TOPICS_FILE, load_topics
ensure_keys(pathlib.Path({str(keys)!r}))
from {service.package}.main import create_app
app = create_app()
assert TOPICS_FILE.is_file() and load_topics(), TOPICS_FILE
assert importlib.util.find_spec("{service.package}.migrations") is not None
others = [p for p in {[s.package for s in services if s != service]!r} if importlib.util.find_spec(p)]
assert not others, others
assert importlib.util.find_spec("pytest") is None, "dev dependencies in the image"
print(app.title)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "VIRTUAL_ENV"))}
    env["QA_AUTH_JWKS"] = str(keys / "jwks.json")
    result = subprocess.run(
        [str(python), "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == service.name
    assert (app / ".venv" / "bin" / "uvicorn").exists()
    assert (app / "deploy" / "topics.yaml").read_text() == (REPO / "deploy/topics.yaml").read_text()


def test_entrypoint_exports_each_secret_file_as_its_setting(tmp_path: Path) -> None:
    (tmp_path / "QA_DATABASE_URL").write_text("postgresql://u:p@db:5432/d\n")
    (tmp_path / "QA_DATABASE_URL.bak").write_text("stale")
    (tmp_path / "OTHER").write_text("not a setting")
    env = {"PATH": os.environ["PATH"], "SECRETS_DIR": str(tmp_path)}
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "env"], env=env, capture_output=True, text=True, check=True
    )
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert variables["QA_DATABASE_URL"] == "postgresql://u:p@db:5432/d"
    assert "OTHER" not in variables and not any(".bak" in k for k in variables)


def test_entrypoint_serves_the_images_service_on_its_port(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "uvicorn"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{fake.parent}:{os.environ['PATH']}",
        "SECRETS_DIR": str(tmp_path / "none"),
        "APP_SERVICE": "feedback-service",
        "APP_PORT": "8003",
    }
    for command in ([], ["serve"]):
        result = subprocess.run(
            ["sh", str(ENTRYPOINT), *command], env=env, capture_output=True, text=True, check=True
        )
        assert result.stdout.split() == [
            "--factory", "feedback_service.main:create_app", "--host", "0.0.0.0", "--port", "8003"
        ]  # fmt: skip
