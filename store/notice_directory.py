"""Who receives a board's notices: per board, each recipient or role → one or more email addresses.

Loaded and checked once, when a worker starts (a bad directory stops it with one line naming the file, board
and key). Source: the TOML file named by ``SCR_NOTICE_DIRECTORY``, one table per board code::

    [NEL]
    ofsted = "enquiries@ofsted.example"
    partners = ["safeguarding@police.example", "safeguarding@health.example"]

Another relevant LSCB (recipient ``lscb:<CODE>``, named on a case) is reached at the board's own entry for it,
``other_lscbs = { KENT = "scr@kent-lscb.example" }``, else at the ``lscb`` entry of that board if the directory
has one; otherwise the notice cannot be sent and the case says to send it by hand.

Unset (dev, and deployments that still configure one set of addresses): every board in ``SCR_BOARDS`` gets
the ``SCR_MAIL_*`` addresses. Roles without an entry fall back to the business manager; the family and
professionals never fall back (a notice to them with no entry fails, and the case says to send it by hand).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.roles import Recipient, Role
from store.settings import Settings

REQUIRED: tuple[str, ...] = (
    Recipient.OFSTED.value,
    Recipient.DFE.value,
    Recipient.NATIONAL_PANEL.value,
    Role.INDEPENDENT_CHAIR.value,
    Role.SUB_GROUP.value,
    Role.BUSINESS_MANAGER.value,
    Recipient.PARTNERS.value,
)
"""Every board must name these: the rules send them notices (partners: the annual learning summary)."""

KNOWN: frozenset[str] = frozenset(member.value for member in (*Recipient, *Role))
NO_FALLBACK: frozenset[str] = frozenset({Recipient.FAMILY.value, Recipient.PROFESSIONALS.value})
"""Told only at an address of their own: a family's notice must never land in a staff inbox as 'sent'."""

_BOARD_CODE = re.compile(r"[A-Za-z]+")
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


OTHER_LSCB = "lscb:"  # recipient prefix for another LSCB, by board code


class NoticeDirectoryError(ValueError):
    """The directory cannot be used; the message is one line naming the file (or setting), board and key."""


class UnknownBoardError(LookupError):
    pass


class UnknownRecipientError(LookupError):
    pass


def board_of(reference: str) -> str:
    """``NEL-2026-0001`` and ``NEL-2026-LS`` → ``NEL``: references start with the board code."""
    return reference.split("-", 1)[0].upper()


@dataclass(frozen=True)
class NoticeDirectory:
    source: str  # the file, or the settings it was built from
    boards: Mapping[str, Mapping[str, tuple[str, ...]]]  # board → recipient or role → addresses (fallbacks applied)

    def addresses(self, reference: str, recipient: str) -> tuple[str, ...]:
        board = board_of(reference)
        entries = self.boards.get(board)
        if entries is None:
            raise UnknownBoardError(f"board {board} (of {reference}) is not in the notice directory ({self.source})")
        found = entries.get(recipient)
        if found is None and recipient.startswith(OTHER_LSCB):
            other = self.boards.get(recipient.removeprefix(OTHER_LSCB).upper(), {})
            found = other.get(Recipient.LSCB.value)
        if found is None:
            raise UnknownRecipientError(f"no address configured for recipient '{recipient}' of board {board}")
        return found


def load_notice_directory(settings: Settings) -> NoticeDirectory:
    """The directory the settings name, checked; raises :class:`NoticeDirectoryError`."""
    if settings.notice_directory is None:
        return _from_settings(settings)
    path = settings.notice_directory
    return parse_notice_directory(_read(path), str(path), settings.board_codes)


def parse_notice_directory(text: str, source: str, boards: frozenset[str]) -> NoticeDirectory:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NoticeDirectoryError(f"notice directory {source}: not valid TOML ({error})") from None
    tables: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, table in document.items():
        where = f"notice directory {source}: board {name}"
        if not _BOARD_CODE.fullmatch(name):
            raise NoticeDirectoryError(f"{where}: not a board code (letters only, e.g. NEL)")
        if not isinstance(table, dict):
            raise NoticeDirectoryError(f"{where}: expected a table ([{name}]) of recipients and their addresses")
        if name.upper() in tables:
            raise NoticeDirectoryError(f"{where}: appears twice (board codes ignore case)")
        tables[name.upper()] = _entries(table, where)
    for board in sorted(boards):
        if board not in tables:
            raise NoticeDirectoryError(f"notice directory {source}: board {board} (SCR_BOARDS) has no [{board}] table")
    return NoticeDirectory(source=source, boards={board: _with_fallbacks(entries) for board, entries in tables.items()})


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise NoticeDirectoryError(f"notice directory {path}: cannot read it ({reason})") from None


def _entries(table: dict[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    entries: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        at = f"{where}, key {key}"
        if key == "other_lscbs":
            entries.update(_other_lscbs(value, at))
            continue
        if key not in KNOWN:
            raise NoticeDirectoryError(f"{at}: not a recipient or role (known: {', '.join(sorted(KNOWN))})")
        entries[key] = _addresses(value, at)
    missing = [key for key in REQUIRED if key not in entries]
    if missing:
        raise NoticeDirectoryError(
            f"{where}, key {', '.join(missing)}: missing (every board needs {', '.join(REQUIRED)})"
        )
    return entries


def _other_lscbs(value: Any, at: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise NoticeDirectoryError(f"{at}: expected a table of board codes and their LSCB addresses")
    found: dict[str, tuple[str, ...]] = {}
    for code, addresses in value.items():
        if not _BOARD_CODE.fullmatch(code):
            raise NoticeDirectoryError(f"{at}.{code}: not a board code (letters only, e.g. KENT)")
        found[OTHER_LSCB + code.upper()] = _addresses(addresses, f"{at}.{code}")
    return found


def _addresses(value: Any, at: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise NoticeDirectoryError(f"{at}: expected an email address or a non-empty list of them")
    for address in values:
        if len(address) > 254 or not _ADDRESS.fullmatch(address):
            raise NoticeDirectoryError(f"{at}: {address!r} is not an email address (name@domain, nothing else)")
    if len(set(values)) != len(values):
        raise NoticeDirectoryError(f"{at}: lists the same address twice")
    return tuple(values)


def _with_fallbacks(entries: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    resolved = dict(entries)
    for key in sorted(KNOWN - NO_FALLBACK - resolved.keys()):
        # Roles (and the LSCB itself) act through the board's business manager until they have an address.
        resolved[key] = entries[Role.BUSINESS_MANAGER.value]
    return resolved


_FIELDS = {  # recipient → its attribute of settings.mail (setting SCR_MAIL_<attribute>)
    Recipient.OFSTED.value: "ofsted",
    Recipient.DFE.value: "dfe",
    Recipient.NATIONAL_PANEL.value: "national_panel",
    Role.INDEPENDENT_CHAIR.value: "chair",
    Role.SUB_GROUP.value: "sub_group",
    Role.BUSINESS_MANAGER.value: "business_manager",
    Recipient.PARTNERS.value: "partners",
}


def _from_settings(settings: Settings) -> NoticeDirectory:
    mail = settings.mail
    entries = {
        key: _addresses(getattr(mail, name), f"setting SCR_MAIL_{name.upper()}") for key, name in _FIELDS.items()
    }
    resolved = _with_fallbacks(entries)
    return NoticeDirectory(
        source="SCR_MAIL_* settings (SCR_NOTICE_DIRECTORY is unset)",
        boards={board: resolved for board in settings.board_codes},
    )
