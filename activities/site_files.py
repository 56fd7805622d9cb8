"""The public site's files: its templates, and writing its static folder safely from any worker process
(atomic writes, one lock for every writer of shared pages)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).with_name("templates") / "site"
PUBLIC_PREFIX = "/public"


def site_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def write_if_changed(path: Path, content: bytes) -> None:
    """Atomic (write a temporary file, then rename), and a no-op when the file already has this content."""
    if path.exists() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sync_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold exactly ``files``: write each, delete anything else (an earlier publication's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        write_if_changed(folder / name, content)
    for existing in folder.iterdir():
        if existing.name not in files:
            if existing.is_dir():
                shutil.rmtree(existing, ignore_errors=True)
            else:
                existing.unlink(missing_ok=True)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@asynccontextmanager
async def site_lock(folder: Path) -> AsyncIterator[None]:
    """Every writer of the index (any worker process) takes this lock, so a stale index never wins."""
    manager = _locked(folder)
    await asyncio.to_thread(manager.__enter__)
    try:
        yield
    finally:
        manager.__exit__(None, None, None)
