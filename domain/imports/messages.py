"""What an import passes to the case workflow: the row, and the file it came from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.imports.columns import ImportRow


class ImportSource(BaseModel):
    """Where the rows came from: the file's name and SHA-256, recorded on every imported case."""

    model_config = ConfigDict(frozen=True)

    file_name: str
    sha256: str


class ImportedCase(BaseModel):
    """A review already under way, to be taken in at its stage with its real dates (issue 17)."""

    model_config = ConfigDict(frozen=True)

    row: ImportRow
    source: ImportSource
