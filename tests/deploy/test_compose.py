"""deploy/compose/compose.yaml: parses, validates against the Compose specification's JSON schema (vendored by
check-jsonschema, offline), and has the production shape the issue asks for: pinned images, health checks and
restart policies, ordered start-up, no secrets. No Docker engine here, so it is not started."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from domain.case_contract import SEARCH_ATTRIBUTES
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

COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
ONE_SHOT = {"migrate", "temporal-search-attributes"}
LONG_RUNNING = {"postgres", "temporal", "temporal-ui", "mailpit", "api", "worker"}
OUR_IMAGE = {"migrate", "api", "worker"}

_INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def load() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    found = load()["services"]
    assert isinstance(found, dict)
    return found


def with_defaults(text: str) -> str:
    """Interpolate as compose would with no variables set, keeping ``${X:?}`` (required) visible as ``<X>``."""

    def replace(match: re.Match[str]) -> str:
        name, operator, value = match.groups()
        if operator in (":-", "-"):
            return value
        return f"<{name}>"

    return _INTERPOLATION.sub(replace, text)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def test_yaml_parses_and_has_every_part() -> None:
    assert set(services()) == LONG_RUNNING | ONE_SHOT


def test_validates_against_the_compose_specification() -> None:
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_validator_is_real(tmp_path: Any) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  api:\n    image: x:1\n    restart: sometimes\n    healthcheck: yes-please\n")
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", bad)
    assert result.returncode != 0


@pytest.mark.parametrize("name", sorted(LONG_RUNNING | ONE_SHOT))
def test_every_image_is_pinned(name: str) -> None:
    image = with_defaults(str(services()[name]["image"]))
    reference = image.split("@")[0]
    repository, _, tag = reference.rpartition(":")
    assert repository, f"{name}: {image!r} has no tag"
    assert "/" not in tag, f"{name}: {image!r} has no tag"
    assert tag != "latest", name
    assert re.fullmatch(r"v?\d+(\.\d+)+[\w.\-]*", tag), f"{name}: pin a version, not {tag!r}"


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(name: str) -> None:
    service = services()[name]
    assert service.get("restart") in ("always", "unless-stopped"), name
    healthcheck = service.get("healthcheck")
    assert healthcheck, f"{name} has no health check"
    assert not healthcheck.get("disable"), f"{name} has no health check"
    test = healthcheck["test"]
    assert isinstance(test, list), name
    assert test[0] in ("CMD", "CMD-SHELL"), name
    assert len(test) > 1, name
    for key in ("interval", "timeout", "retries"):
        assert key in healthcheck, f"{name}: healthcheck.{key}"


@pytest.mark.parametrize("name", sorted(ONE_SHOT))
def test_one_shot_jobs_do_not_restart_forever_and_gate_what_needs_them(name: str) -> None:
    assert services()[name]["restart"] in ("no", "on-failure")
    for dependant in ("api", "worker"):
        assert services()[dependant]["depends_on"][name] == {"condition": "service_completed_successfully"}


def test_every_dependency_has_a_condition_that_can_be_met() -> None:
    all_services = services()
    for name, service in all_services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: use the long form of depends_on, with conditions"
        for dependency, spec in depends_on.items():
            assert dependency in all_services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in all_services[dependency], f"{dependency} has no health check"
            elif condition == "service_completed_successfully":
                assert dependency in ONE_SHOT
            else:
                pytest.fail(f"{name} → {dependency}: condition {condition!r}")
    # The start-up order of deploy/README.md: database, Temporal, search attributes, migrations, then the service.
    assert "postgres" in all_services["temporal"]["depends_on"]
    assert "temporal" in all_services["temporal-search-attributes"]["depends_on"]
    assert "postgres" in all_services["migrate"]["depends_on"]


def test_one_image_three_commands() -> None:
    images = {services()[name]["image"] for name in OUR_IMAGE}
    assert len(images) == 1
    assert {name: services()[name]["command"] for name in OUR_IMAGE} == {
        "migrate": ["migrate"],
        "api": ["api"],
        "worker": ["worker"],
    }
    for name in OUR_IMAGE:
        assert services()[name]["build"]["dockerfile"] == "deploy/docker/Dockerfile"


def test_workers_scale_and_get_their_grace_period() -> None:
    worker = services()["worker"]
    replicas = with_defaults(str(worker["deploy"]["replicas"]))
    assert int(replicas) >= 2
    grace = float(environment(worker)["SCR_WORKER_GRACEFUL_SHUTDOWN_SECONDS"])
    stop_grace = worker["stop_grace_period"]
    assert stop_grace.endswith("s")
    assert float(stop_grace[:-1]) > grace, "compose must wait longer than the worker"
    assert "container_name" not in worker, "replicas need compose's own names"
    assert environment(worker)["SCR_HEALTHCHECK_URL"].endswith(":8081/healthz")
    assert environment(worker)["SCR_TASK_QUEUE"] == TASK_QUEUE


def test_no_secret_is_written_in_the_file() -> None:
    secretish = re.compile(r"PASSWORD|PWD|SECRET|KEYS?$|TOKEN", re.IGNORECASE)
    for name, service in services().items():
        for key, value in environment(service).items():
            if secretish.search(key):
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*|:-)\}", value), f"{name}.{key} must come from .env: {value!r}"
        for key, value in environment(service).items():
            for match in re.finditer(r"://[^:/@]+:([^@]+)@", value):  # credentials inside URLs
                assert match.group(1).startswith("${"), f"{name}.{key} has a literal password"


def test_env_example_names_every_required_variable_and_holds_no_value() -> None:
    text = "\n".join(line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#"))
    required = {m.group(1) for m in _INTERPOLATION.finditer(text) if m.group(2) == ":?"}
    assert {"POSTGRES_PASSWORD", "TEMPORAL_DB_PASSWORD", "SCR_DB_PASSWORD", "SCR_PAYLOAD_KEYS"} <= required
    example = (COMPOSE_DIR / "env.example").read_text().splitlines()
    assigned = dict(line.split("=", 1) for line in example if line and not line.startswith("#"))
    assert required <= set(assigned), f"env.example lacks {required - set(assigned)}"
    assert all(value == "" for value in assigned.values()), "env.example must not hold values"


def test_settings_given_to_our_image_are_real_settings() -> None:
    known = setting_names() | NOT_SETTINGS
    for name in OUR_IMAGE:
        unknown = {key for key in environment(services()[name]) if key.startswith(("SCR_", "TEMPORAL_"))} - known
        assert not unknown, f"{name} sets {unknown}, which no setting reads"


def test_the_search_attributes_job_registers_exactly_the_workflows_attributes() -> None:
    job = services()["temporal-search-attributes"]
    assert parse_search_attributes(environment(job)["SCR_SEARCH_ATTRIBUTES"]) == SEARCH_ATTRIBUTES
    assert environment(services()["temporal"])["SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"] == "true"


def test_the_search_attributes_script_is_valid_shell() -> None:
    script = services()["temporal-search-attributes"]["command"][0].replace("$$", "$")
    assert "temporal operator search-attribute create" in script
    result = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_postgres_init_script_is_valid_shell_and_takes_passwords_from_the_environment() -> None:
    script = COMPOSE_DIR / "postgres-init" / "10-roles.sh"
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    text = script.read_text()
    assert "$TEMPORAL_DB_PASSWORD" in text
    assert "$SCR_DB_PASSWORD" in text
    assert "CREATEDB" in text, "auto-setup creates Temporal's databases with the temporal role"


def test_temporal_uses_postgresql_and_the_ui_decodes_through_the_api() -> None:
    temporal = environment(services()["temporal"])
    assert temporal["DB"] == "postgres12"
    assert temporal["POSTGRES_SEEDS"] == "postgres"
    ui = environment(services()["temporal-ui"])
    assert with_defaults(ui["TEMPORAL_CODEC_ENDPOINT"]).endswith("/codec")
    assert with_defaults(ui["TEMPORAL_ADDRESS"]) == "temporal:7233"
    api = environment(services()["api"])
    assert with_defaults(api["SCR_CODEC_CORS_ORIGINS"]) == "http://127.0.0.1:8080", "the UI's origin may call /codec"


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Mount path → volume name (or host path), from the short or the long syntax."""
    found: dict[str, str] = {}
    for item in service.get("volumes", []):
        if isinstance(item, str):
            source, target = item.split(":")[:2]
        else:
            source, target = item["source"], item["target"]
        found[target] = source
    return found


def test_api_and_workers_share_the_document_and_site_volumes_where_the_settings_point() -> None:
    api, worker = services()["api"], services()["worker"]
    named = load()["volumes"]
    volumes = []
    for setting in SHARED_DIRECTORY_SETTINGS:
        path = environment(api).get(setting)
        assert path, f"api: {setting} is not set"
        assert environment(worker).get(setting) == path, f"worker: {setting} differs from the api's"
        volume = mounts(api).get(path)
        assert volume, f"api: no volume at {setting}={path}"
        assert mounts(worker).get(path) == volume, f"worker: not the api's volume at {path}"
        assert volume in named, f"{volume}: a named volume (a bind mount's owner would have to be set by hand)"
        assert path in image_owned_directories(), f"{path}: the image creates it owned by its user"
        volumes.append(volume)
    assert len(set(volumes)) == len(volumes), "documents and the site are separate volumes"
    for name in ("api", "worker"):
        for item in services()[name]["volumes"]:
            assert not (isinstance(item, str) and item.endswith(":ro")), f"{name}: both write (uploads; the site)"


def test_the_api_signs_calendar_feeds_with_a_secret_from_env() -> None:
    api = environment(services()["api"])
    assert api["SCR_CALENDAR_FEED_SECRET"].startswith("${SCR_CALENDAR_FEED_SECRET:?")
    assert "SCR_CALENDAR_FEED_SECRET" not in environment(services()["worker"]), "only the API signs and verifies"
