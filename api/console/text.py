"""Codes in words, for people: ``initiate_scr`` reads "Initiate SCR"."""

from __future__ import annotations

ACRONYMS = frozenset({"scr", "lscb", "dhr", "dfe", "imr", "sar"})


def words(value: str) -> str:
    text = " ".join(w.upper() if w in ACRONYMS else w for w in value.split("_"))
    return text[:1].upper() + text[1:]
