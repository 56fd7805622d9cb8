"""The quality rules a final report is checked against before it can go on (000, 001 §11; 003)."""

from __future__ import annotations

from collections.abc import Mapping

QUALITY_RULES: Mapping[str, str] = {
    "sound_analysis": "Sound analysis of what happened and why (001 §11)",
    "reduce_recurrence": "Says what must change to reduce the risk of recurrence (001 §11)",
    "plain_english": "Written in plain English (000)",
    "publishable_without_redaction": "Suitable for publication without amendment or redaction (000; 001 §11)",
    "actions_and_impact": "Includes actions taken, their impact, and what more will be done (000; 001 §11)",
    "anonymised": "Anonymised and compliant with data protection law and court orders (000; 003)",
}
