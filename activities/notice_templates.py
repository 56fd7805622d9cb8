"""Subjects and bodies of the notices: Jinja2 templates in ``templates/notices/``, plain text and HTML.

Each kind has ``<kind>.txt`` (a ``subject`` block and the plain body) and ``<kind>.html`` (the HTML body),
extending ``_base.txt`` / ``_base.html`` (the case link and the "no personal details" footer). Templates see
``reference``, ``case_url`` and the notice's facts, which name the case by reference only, never the child or
family. A fact a template uses but the notice lacks is an error (StrictUndefined), never a blank in an email.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from domain.case_messages import NoticeKind

TEMPLATES = Path(__file__).parent / "templates" / "notices"


class NoticeTemplateError(Exception):
    """A notice cannot be rendered (a template is missing or broken, or a fact it needs is missing)."""


@dataclass(frozen=True)
class RenderedNotice:
    subject: str  # one line
    text: str
    html: str


class NoticeTemplates:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        missing = [
            name
            for kind in NoticeKind
            for name in (f"{kind.value}.txt", f"{kind.value}.html")
            if not (folder / name).is_file()
        ]
        if missing:
            raise NoticeTemplateError(f"notice templates missing from {folder}: {', '.join(missing)}")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, kind: NoticeKind, *, reference: str, case_url: str, facts: Mapping[str, str]) -> RenderedNotice:
        values = {**facts, "reference": reference, "case_url": case_url}
        try:
            text = self._env.get_template(f"{kind.value}.txt")
            subject = "".join(text.blocks["subject"](text.new_context(values)))
            rendered = RenderedNotice(
                # Facts may hold line breaks; a header may not, and the wire policy keeps it on one line.
                subject=" ".join(subject.split()),
                text=text.render(values),
                html=self._env.get_template(f"{kind.value}.html").render(values),
            )
        except jinja2.UndefinedError as error:
            raise NoticeTemplateError(f"{kind.value} notice of {reference}: missing fact ({error.message})") from error
        except (jinja2.TemplateError, KeyError) as error:
            raise NoticeTemplateError(f"{kind.value} notice template is broken: {error}") from error
        return rendered
