"""What the deployment checks compare against: the services as the code defines them, the
fixed ports, the topic file, and the rendered compose file and Kubernetes manifests."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from pydantic import SecretStr

from qaf_shared.kafka import load_topics
from qaf_shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "deploy" / "k8s"

# Fixed for operators and tooling (docs/architecture.md, Services); deploy/local/services.sh,
# docker-compose.yml and deploy/k8s/ must all say the same.
FIXED_PORTS = {
    "audit-service": 8001,
    "escalation-service": 8002,
    "feedback-service": 8003,
    "reporting-service": 8004,
    "activity-service": 8005,
}


@dataclass(frozen=True)
class Service:
    name: str  # distribution and directory name: audit-service
    package: str  # import name: audit_service
    port: int
    settings: type[ServiceSettings]

    @property
    def env_names(self) -> set[str]:
        """Every QA_* variable this service's settings class reads."""
        return {f"QA_{field.upper()}" for field in self.settings.model_fields}

    @property
    def secret_env_names(self) -> set[str]:
        return {
            f"QA_{field.upper()}"
            for field, info in self.settings.model_fields.items()
            if info.annotation is SecretStr
        }

    def validate_settings(self, env: dict[str, str]) -> ServiceSettings:
        """Build the settings class from these variables (as the container's environment
        would), so that a value the class refuses fails here rather than at start-up."""
        # Through pydantic-settings' own environment parsing (JSON for structured fields),
        # with nothing of this process's QA_* environment mixed in.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
            return self.settings()


def _settings_class(package: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{package}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{package}.settings should define one settings class: {classes}"
    return classes[0]


@pytest.fixture(scope="session")
def services() -> list[Service]:
    """The services of the workspace (services/*), each with its fixed port."""
    names = sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))
    assert names == sorted(FIXED_PORTS), (
        f"services/ has {names}; the fixed ports name {sorted(FIXED_PORTS)}"
    )
    return [
        Service(n, n.replace("-", "_"), FIXED_PORTS[n], _settings_class(n.replace("-", "_")))
        for n in names
    ]


@pytest.fixture(scope="session")
def topics() -> dict[str, dict[str, Any]]:
    """deploy/topics.yaml, defaults merged, by name."""
    return {t["name"]: t for t in load_topics()}


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return document


def kustomize_command() -> list[str]:
    """kustomize itself, or the copy built into kubectl (`kubectl kustomize`)."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    pytest.fail(
        "rendering deploy/k8s needs kustomize or kubectl on PATH; e.g. "
        "`go install sigs.k8s.io/kustomize/kustomize/v5@latest` from the Go module proxy"
    )


def kustomizations() -> list[str]:
    """deploy/k8s/base and every overlay, relative to deploy/k8s."""
    return ["base", *sorted(f"overlays/{p.name}" for p in (K8S / "overlays").iterdir())]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """`kustomize build` of the base and of every overlay: the objects an operator applies."""
    out = {}
    for name in kustomizations():
        result = subprocess.run(
            [*kustomize_command(), str(K8S / name)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"kustomize build {name} failed:\n{result.stderr}"
        out[name] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return out


def venv_tool(name: str) -> str:
    """A command-line tool a dev dependency installs next to this interpreter (hadolint,
    shellcheck, check-jsonschema), whether or not the virtualenv's bin is on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: `uv sync --frozen` installs it (a dev dependency)")
    return found


@pytest.fixture(scope="session")
def tool() -> Any:
    return venv_tool


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `kustomization` runs once for the base and once per overlay."""
    if "kustomization" in metafunc.fixturenames:
        metafunc.parametrize("kustomization", kustomizations())
