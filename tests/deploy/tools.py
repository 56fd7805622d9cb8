"""Shared by the deploy tests: where things are, the validators (installed by the dev extra; a missing one is a
failure, never a skip), and the settings the manifests may set."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from store.settings import Settings
from tests.support.services import binary

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def run_tool(name: str, *args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run a validator from the venv (tests.support.services.binary raises when it is not installed)."""
    return subprocess.run([binary(name), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)


def setting_names() -> set[str]:
    """Every environment variable `store.settings.Settings` reads."""
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        names.add(f"SCR_{field_name.upper()}")
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(choice) for choice in choices)
    return names


# Variables the deploy files set that are not service settings: the image's HEALTHCHECK target and the
# search-attribute job's list.
NOT_SETTINGS = {"SCR_HEALTHCHECK_URL", "SCR_SEARCH_ATTRIBUTES"}

_PAIR = re.compile(r"^(\w+)=(\w+)$")


def parse_search_attributes(text: str) -> dict[str, str]:
    """``"ScrStage=Keyword ScrOverdue=Bool"`` → ``{"ScrStage": "Keyword", "ScrOverdue": "Bool"}``."""
    pairs = [_PAIR.match(part) for part in text.split()]
    assert all(pairs), f"not NAME=Type pairs: {text!r}"
    return {m.group(1): m.group(2) for m in pairs if m}


# The settings naming the folders the API and the workers share (documents; the public site).
SHARED_DIRECTORY_SETTINGS = ("SCR_DOCUMENT_DIR", "SCR_SITE_DIR")

_OWNED_DIRECTORIES = re.compile(r"install --directory --owner=(\d+) --group=(\d+) --mode=0?[0-7]{3} ((?:/[\w./-]+ ?)+)")


def image_owned_directories() -> dict[str, tuple[int, int]]:
    """Directories the image creates with ``install --directory --owner=UID --group=GID``: path → (uid, gid)."""
    text = (DEPLOY / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    return {
        path: (int(uid), int(gid)) for uid, gid, paths in _OWNED_DIRECTORIES.findall(text) for path in paths.split()
    }
