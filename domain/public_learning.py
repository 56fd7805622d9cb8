"""The public version of the annual learning summary (000: the board's annual summary of findings and
recommendations reaches "the public via an annual report"): figures and learning only.

Built from the staff summary's figures by leaving things out, never by adding: no case references, no per-case
dates or tables (in a small board a date can point at a family), and no text that was not screened against a
case's recorded identifying details (unchecked text stays in the staff version only). What is left still goes
through the anonymisation gate before it reaches the site (activities/public_learning_site.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.learning_summary import SOURCE_TITLES, KeyFigures, LearningSummaryFigures, key_figures


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PublicRule(_Model):
    rule: str
    title: str
    due: int
    met: int
    missed: int


class PublicLearning(_Model):
    source: str  # e.g. "Final report (accepted at quality assurance)"
    text: str


class PublicRecommendation(_Model):
    description: str
    owner_agency: str
    state: str  # done, open, overdue


class PublicLearningSummary(_Model):
    board: str
    year: int
    as_at: str  # ISO date: the last day the figures cover
    year_complete: bool
    key: KeyFigures
    compliance: list[PublicRule]
    learning: list[PublicLearning]
    recommendations: list[PublicRecommendation]
    not_shown: int  # passages kept out because they could not be checked or were withheld whole

    def texts(self) -> list[str]:
        """Every piece of staff-written text on the page: what the gate must read."""
        return [item.text for item in self.learning] + [
            text for r in self.recommendations for text in (r.description, r.owner_agency)
        ]


def public_summary(figures: LearningSummaryFigures) -> PublicLearningSummary:
    learning = [
        PublicLearning(source=SOURCE_TITLES[f.source], text=f.text.text)
        for f in figures.findings
        if not f.text.unchecked
    ]
    recommendations = [
        PublicRecommendation(description=r.description.text, owner_agency=r.owner_agency.text, state=r.state)
        for r in figures.recommendations
        if not (r.description.unchecked or r.owner_agency.unchecked)
    ]
    left_out = len(figures.findings) - len(learning) + len(figures.recommendations) - len(recommendations)
    return PublicLearningSummary(
        board=figures.board,
        year=figures.year,
        as_at=figures.as_at.isoformat(),
        year_complete=figures.year_complete,
        key=key_figures(figures),
        compliance=[
            PublicRule(rule=r.rule, title=r.title, due=r.due, met=r.met, missed=r.missed) for r in figures.compliance
        ],
        learning=learning,
        recommendations=recommendations,
        not_shown=left_out,
    )
