"""The embedded SMTP sink: accepts every message on 127.0.0.1 and keeps it as an .eml file."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class EmlFolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"  # sorts by arrival
        # Written aside, then renamed: whoever reads the folder (the tests, an operator) never sees half a message.
        part = self.folder / f"{name}.part"
        part.write_bytes(content)
        part.replace(self.folder / name)
        return "250 Message accepted for delivery"


def start_smtp_sink(folder: Path, host: str, port: int) -> Controller:
    controller = Controller(EmlFolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
