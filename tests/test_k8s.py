"""deploy/k8s, checked without a cluster: the base and every overlay render with kustomize,
every object is valid against the Kubernetes API's own schemas (kubernetes-validate, strict,
oldest and newest supported versions), and what the manifests name (services, ports, settings,
secrets, topics, replicas) is what the code has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from qaf_shared.events.catalogue import DOMAIN_TOPICS
from qaf_shared.kafka import load_topics

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "deploy" / "k8s"

# The oldest Kubernetes minor the manifests promise to work on, and the newest we can check.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

# Settings the manifests leave at the code's default on purpose, and why.
NOT_SET_IN_MANIFESTS = {
    "QA_WORKERS": "one uvicorn process per container; the HorizontalPodAutoscaler adds replicas",
    "QA_CONFIG_DIR": "defaults to the templates and tenant settings shipped in the image; an authority with its own mounts a directory and sets it",
    "QA_QUESTION_SETS_FILE": "defaults to the question sets shipped in the image; an authority with its own mounts a file and sets it",
    "QA_CHILD_KEY_SECRET": "activity-service reads its child_key secret from the mounted Secret file QA_CHILD_KEY_SECRET_FILE names, never from the environment",
    "QA_OTLP_ENDPOINT": "traces are exported only where the authority runs an OpenTelemetry collector; its overlay names it",
}
METRICS_PORT = 9102
# Debian's CA bundle, which the image's base (python:3.11-slim-bookworm) carries.
IMAGE_TRUST_STORE = "/etc/ssl/certs/ca-certificates.crt"

SECRETS_MOUNT = "/run/secrets"


def _objects(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _configmap(docs: list[dict[str, Any]], ref: str) -> dict[str, str]:
    """A ConfigMap's data by the name a pod refers to (kustomize adds a hash suffix)."""
    found = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == ref]
    assert len(found) == 1, f"no ConfigMap {ref}"
    data: dict[str, str] = found[0].get("data", {})
    return data


def _pods(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every workload."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]


def _pod_settings(
    docs: list[dict[str, Any]], pod: dict[str, Any]
) -> tuple[dict[str, str], set[str]]:
    """The QA_* variables a pod's container gets from ConfigMaps and env, and the names of
    the secret files mounted at /run/secrets (the entrypoint exports those)."""
    container = pod["spec"]["containers"][0]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(_configmap(docs, source["configMapRef"]["name"]))
    env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
    mounted = {
        m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == SECRETS_MOUNT
    }
    secret_files = {
        item["path"]
        for volume in pod["spec"].get("volumes", [])
        if volume["name"] in mounted
        for item in volume["secret"]["items"]
    }
    return env, secret_files


def test_every_object_is_valid_for_the_kubernetes_api(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    problems = []
    for doc in rendered[kustomization]:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{doc['kind']}/{doc['metadata']['name']} ({version}): {error}")
    assert not problems, "\n".join(problems)


def test_validation_rejects_a_misspelt_field(rendered: dict[str, list[dict[str, Any]]]) -> None:
    deployment = next(d for d in rendered["base"] if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
    container["readinessProbe"] = container.pop("readinesProbe")


def test_each_service_has_its_deployment_service_migration_autoscaler_and_budget(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    docs = rendered[kustomization]
    names = {s.name for s in services}
    assert set(_objects(docs, "Deployment")) == names
    assert set(_objects(docs, "Service")) == names
    assert set(_objects(docs, "HorizontalPodAutoscaler")) == names
    assert set(_objects(docs, "PodDisruptionBudget")) == names
    assert set(_objects(docs, "Job")) == {f"{n}-migrate" for n in names} | {"kafka-topics"}
    for service in services:
        deployment = _objects(docs, "Deployment")[service.name]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert _objects(docs, "Service")[service.name]["spec"]["selector"] == selector
        assert _objects(docs, "PodDisruptionBudget")[service.name]["spec"]["selector"] == {
            "matchLabels": selector
        }
        target = _objects(docs, "HorizontalPodAutoscaler")[service.name]["spec"]["scaleTargetRef"]
        assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name}
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"


def test_services_run_on_their_fixed_ports_with_health_and_readiness_probes(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    docs = rendered[kustomization]
    for service in services:
        pod = _objects(docs, "Deployment")[service.name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [
            "uvicorn", "--factory", f"{service.package}.main:create_app",
            "--host", "0.0.0.0", "--port", str(service.port),
        ]  # fmt: skip
        assert container["ports"] == [
            {"name": "http", "containerPort": service.port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert re.search(rf"/{service.name}(:[\w.-]+)?$", container["image"])
        (port,) = _objects(docs, "Service")[service.name]["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (service.port, "http")


def test_metrics_are_scraped_on_the_internal_port_and_the_api_docs_are_off(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    docs = rendered[kustomization]
    for service in services:
        template = _objects(docs, "Deployment")[service.name]["spec"]["template"]
        env, _ = _pod_settings(docs, template)
        assert env["QA_METRICS_PORT"] == str(METRICS_PORT), service.name
        assert env["QA_DOCS_ENABLED"] == "false", service.name
        assert template["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(METRICS_PORT),
            "prometheus.io/path": "/metrics",
        }, service.name
        # The Service publishes the API alone; the metrics port is the pods' own.
        (port,) = _objects(docs, "Service")[service.name]["spec"]["ports"]
        assert port["targetPort"] == "http"
    ingress = _objects(docs, "NetworkPolicy")["qa-services-ingress"]["spec"]["ingress"]
    allowed = {
        (peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], p["port"])
        for rule in ingress
        for peer in rule["from"]
        for p in rule["ports"]
    }
    assert allowed == {("ingress-nginx", "http"), ("monitoring", "metrics")}


def test_services_and_migrations_verify_the_database_certificate(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    docs = rendered[kustomization]
    for service in services:
        for pod in (
            _objects(docs, "Deployment")[service.name]["spec"]["template"],
            _objects(docs, "Job")[f"{service.name}-migrate"]["spec"]["template"],
        ):
            env, _ = _pod_settings(docs, pod)
            assert env["QA_DATABASE_SSLMODE"] == "verify-full", service.name
            assert not any(name.startswith("PGSSL") for name in env), "one way: QA_DATABASE_SSL*"
            # The image's trust store, or a CA file an overlay mounts.
            ca = env["QA_DATABASE_SSLROOTCERT"]
            mounts = [m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]]
            assert ca == IMAGE_TRUST_STORE or any(ca.startswith(m + "/") for m in mounts), ca


def test_every_pod_runs_unprivileged_on_a_read_only_root_with_bounded_resources(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    for where, pod in _pods(rendered[kustomization]):
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] != 0, where
        # What the restricted Pod Security Standard (the Kent namespace enforces it) asks.
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: /tmp is no emptyDir"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), where


def test_migration_jobs_run_each_services_migrations_with_its_image_and_secret(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    docs = rendered[kustomization]
    for service in services:
        job = _objects(docs, "Job")[f"{service.name}-migrate"]["spec"]["template"]
        (container,) = job["spec"]["containers"]
        assert container["args"] == ["python", "-m", "qaf_shared.migrations", service.package]
        deployment = _objects(docs, "Deployment")[service.name]["spec"]["template"]["spec"]
        assert container["image"] == deployment["containers"][0]["image"]
        assert _pod_settings(docs, job)[1] == service.secret_env_names
    (topics,) = _objects(docs, "Job")["kafka-topics"]["spec"]["template"]["spec"]["containers"]
    assert topics["args"] == ["python", "-m", "qaf_shared.kafka"]


def _secret_names(pod: dict[str, Any]) -> set[str]:
    return {v["secret"]["secretName"] for v in pod["spec"].get("volumes", []) if "secret" in v}


def test_migrations_run_as_the_owner_and_the_services_as_their_runtime_roles(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    """Least privilege (docs/architecture.md, Security): the migration Job and the Deployment
    get separate Secrets (the owner's URL, the runtime role's), and the Job names the runtime
    role it grants."""
    docs = rendered[kustomization]
    for service in services:
        job = _objects(docs, "Job")[f"{service.name}-migrate"]["spec"]["template"]
        deployment = _objects(docs, "Deployment")[service.name]["spec"]["template"]
        assert _secret_names(job) == {f"{service.name}-migration-secrets"}
        assert _secret_names(deployment) == {f"{service.name}-secrets"}
        env, _ = _pod_settings(docs, job)
        assert env["QA_DATABASE_RUNTIME_ROLE"] == f"{service.package}_app"
        if kustomization != "base":
            # the overlay's TLS patch adds its variables without dropping the ConfigMap's
            assert env.get("QA_DATABASE_SSLROOTCERT") == "/etc/qa/postgresql/ca.crt"


def test_example_secrets_give_the_owner_to_the_job_and_the_runtime_role_to_the_service(
    services: list[Any],
) -> None:
    for overlay in (p for p in (K8S / "overlays").iterdir()):
        examples = {
            d["metadata"]["name"]: d
            for d in yaml.safe_load_all((overlay / "secrets.example.yaml").read_text())
            if d and d["kind"] == "Secret"
        }
        for service in services:
            runtime = examples[f"{service.name}-secrets"]["stringData"]["QA_DATABASE_URL"]
            owner = examples[f"{service.name}-migration-secrets"]["stringData"]["QA_DATABASE_URL"]
            assert runtime.startswith(f"postgresql://{service.package}_app:"), runtime
            assert owner.startswith(f"postgresql://{service.package}:"), owner
            assert runtime.rsplit("/", 1)[1] == owner.rsplit("/", 1)[1] == service.package


def test_settings_in_the_manifests_are_the_services_settings_and_valid(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]], services: list[Any]
) -> None:
    """Every QA_* variable a Deployment gets is a field of that service's settings class, and
    every field is set (secret ones from the Secret, the rest from ConfigMaps) unless listed in
    NOT_SET_IN_MANIFESTS; the class accepts the values."""
    docs = rendered[kustomization]
    for service in services:
        pod = _objects(docs, "Deployment")[service.name]["spec"]["template"]
        env, secret_files = _pod_settings(docs, pod)
        qa_env = {k: v for k, v in env.items() if k.startswith("QA_")}
        unknown = set(qa_env) - service.env_names
        assert not unknown, f"{service.name} gets {unknown}, which its settings class lacks"
        assert secret_files == service.secret_env_names, f"{service.name}: secret files"
        assert not set(qa_env) & service.secret_env_names, (
            f"{service.name}: a secret in a ConfigMap"
        )
        missing = service.env_names - set(qa_env) - secret_files - set(NOT_SET_IN_MANIFESTS)
        assert not missing, (
            f"{service.name}: {sorted(missing)} set nowhere in deploy/k8s; add them to "
            "deploy/k8s/base/config/ (or to NOT_SET_IN_MANIFESTS, saying why)"
        )
        assert not set(NOT_SET_IN_MANIFESTS) & set(qa_env)
        example = {s: f"postgresql://{service.package}:pw@db.example:5432/x" for s in secret_files}
        settings = service.validate_settings({**qa_env, **example})
        assert settings.service_name == service.name


def test_activity_service_reads_its_child_key_secret_from_a_mounted_secret_file(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    """Pseudonymity (docs/activity.md): QA_CHILD_KEY_SECRET_FILE names a file of the
    service's Secret, mounted read-only outside /run/secrets (so it is no environment
    variable), and no other pod mounts that key."""
    docs = rendered[kustomization]
    pod = _objects(docs, "Deployment")["activity-service"]["spec"]["template"]
    env, _ = _pod_settings(docs, pod)
    path = Path(env["QA_CHILD_KEY_SECRET_FILE"])
    (container,) = pod["spec"]["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent)]
    assert mount["readOnly"] is True and mount["mountPath"] != SECRETS_MOUNT
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "activity-service-secrets"
    (item,) = volume["secret"]["items"]
    assert item["path"] == path.name
    assert volume["secret"]["defaultMode"] & 0o007 == 0, "others may not read it"
    holders = {
        where
        for where, other in _pods(docs)
        for v in other["spec"].get("volumes", [])
        if "secret" in v and item["key"] in {i["key"] for i in v["secret"]["items"]}
    }
    assert holders == {"Deployment/activity-service"}


def test_example_secrets_provide_every_secret_and_config_map_the_pods_need(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for overlay in (p for p in (K8S / "overlays").iterdir()):
        name = f"overlays/{overlay.name}"
        examples = [
            d for d in yaml.safe_load_all((overlay / "secrets.example.yaml").read_text()) if d
        ]
        for doc in examples:
            kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[0], strict=True)
        provided = {
            (d["kind"], d["metadata"]["name"]): set(d.get("stringData", d.get("data", {})))
            for d in examples
        }
        rendered_config_maps = {
            d["metadata"]["name"] for d in rendered[name] if d["kind"] == "ConfigMap"
        }
        for where, pod in _pods(rendered[name]):
            for volume in pod["spec"].get("volumes", []):
                if "secret" in volume:
                    keys = {i["key"] for i in volume["secret"]["items"]}
                    have = provided.get(("Secret", volume["secret"]["secretName"]))
                    assert have is not None and keys <= have, f"{where}: {volume['secret']}"
                config_map = volume.get("configMap")
                if config_map and not config_map.get("optional"):
                    assert (
                        config_map["name"] in rendered_config_maps
                        or ("ConfigMap", config_map["name"]) in provided
                    ), f"{where}: ConfigMap {config_map['name']} comes from nowhere"
        namespaces = {d["metadata"]["namespace"] for d in examples}
        assert namespaces == {
            d["metadata"]["name"] for d in rendered[name] if d["kind"] == "Namespace"
        }


def test_reporting_scales_out_no_further_than_the_partitions_of_its_topics(
    rendered: dict[str, list[dict[str, Any]]], topics: dict[str, dict[str, Any]]
) -> None:
    partitions = min(int(topics[t]["partitions"]) for t in DOMAIN_TOPICS)
    for name in rendered:
        hpa = _objects(rendered[name], "HorizontalPodAutoscaler")["reporting-service"]
        assert hpa["spec"]["maxReplicas"] == partitions, (
            f"{name}: a reporting-service replica past {partitions} consumes nothing"
        )
        for other in _objects(rendered[name], "HorizontalPodAutoscaler").values():
            assert other["spec"]["minReplicas"] >= 2, "one replica is no high availability"


def test_only_the_qa_pods_may_reach_postgresql_and_kafka(
    kustomization: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    policies = _objects(rendered[kustomization], "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    reaching = {
        port["port"]: policy
        for policy in policies.values()
        for rule in policy["spec"].get("egress", [])
        for port in rule.get("ports", [])
        if port["port"] in (5432, 9092)
    }
    assert set(reaching) == {5432, 9092}
    for policy in reaching.values():
        assert policy["spec"]["podSelector"] == {
            "matchLabels": {"app.kubernetes.io/part-of": "qa-framework"}
        }
    for where, pod in _pods(rendered[kustomization]):
        assert pod["metadata"]["labels"]["app.kubernetes.io/part-of"] == "qa-framework", where


def test_overlay_topic_files_keep_the_topics_and_partitions_of_deploy_topics_yaml(
    topics: dict[str, dict[str, Any]],
) -> None:
    for path in K8S.glob("overlays/*/topics.yaml"):
        overlay = {t["name"]: t for t in load_topics(path)}
        assert set(overlay) == set(topics), path
        for name, topic in overlay.items():
            assert topic["partitions"] == topics[name]["partitions"], f"{path}: {name}"
            assert topic["config"]["retention.ms"] == topics[name]["config"]["retention.ms"]


def test_every_topic_named_in_the_deployment_files_exists(
    topics: dict[str, dict[str, Any]],
) -> None:
    files = [
        REPO / "docker-compose.yml",
        REPO / "deploy" / "README.md",
        *K8S.rglob("*.yaml"),
        *K8S.rglob("*.env"),
    ]
    for path in files:
        for topic in re.findall(r"\bqa\.[a-z_]+\.[a-z_]+\.v\d+\b", path.read_text()):
            assert topic in topics, f"{path.relative_to(REPO)} names unknown topic {topic}"


def test_readme_names_the_kustomizations_that_exist() -> None:
    text = (REPO / "deploy" / "README.md").read_text()
    for name in ["base", *(f"overlays/{p.name}" for p in (K8S / "overlays").iterdir())]:
        assert f"deploy/k8s/{name}" in text, f"deploy/README.md does not mention deploy/k8s/{name}"
    for mentioned in re.findall(r"deploy/k8s/overlays/([\w-]+)", text):
        assert (K8S / "overlays" / mentioned).is_dir(), f"README names missing overlay {mentioned}"


def test_kustomization_files_list_only_files_that_exist() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        listed = [
            *spec.get("resources", []),
            *(p["path"] for p in spec.get("patches", []) if "path" in p),
            *(f for g in spec.get("configMapGenerator", []) for f in g.get("envs", [])),
            *(f for g in spec.get("configMapGenerator", []) for f in g.get("files", [])),
        ]
        for entry in listed:
            assert (kustomization.parent / Path(entry.split("=")[-1])).exists(), (
                f"{kustomization.relative_to(REPO)} lists missing {entry}"
            )
