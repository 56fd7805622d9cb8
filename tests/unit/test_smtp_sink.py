"""The embedded SMTP sink keeps each message as a whole .eml file: readers of the folder never see half of one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from workers.smtp_sink import EmlFolderHandler


async def test_a_message_appears_only_whole_and_under_its_final_name(tmp_path: Path, monkeypatch: Any) -> None:
    handler = EmlFolderHandler(tmp_path)
    seen_while_writing: list[str] = []
    write_bytes = Path.write_bytes

    def watched_write(path: Path, data: bytes) -> int:
        written = write_bytes(path, data)
        seen_while_writing.extend(p.name for p in tmp_path.glob("*.eml"))  # what a reader's glob finds mid-write
        return written

    monkeypatch.setattr(Path, "write_bytes", watched_write)
    content = b"To: ofsted@example\r\nSubject: s\r\n\r\nbody\r\n"
    reply = await handler.handle_DATA(None, None, SimpleNamespace(original_content=content))  # type: ignore[arg-type]

    assert reply.startswith("250")
    assert seen_while_writing == []  # written under a name the readers' "*.eml" does not match
    files = list(tmp_path.iterdir())
    assert [p.suffix for p in files] == [".eml"]
    assert files[0].read_bytes() == content
