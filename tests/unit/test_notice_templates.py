"""Every notice renders as a one-line subject, a plain body and an HTML body; a missing fact is an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from activities.notice_templates import TEMPLATES, NoticeTemplateError, NoticeTemplates, RenderedNotice
from domain.case_messages import NoticeKind

REFERENCE = "NEL-2026-0001"
CASE_URL = f"https://scr.lscb.example/api/v1/cases/{REFERENCE}"
FOOTER = "This message contains no personal details by design."

# The facts domain/lifecycle/ (and the learning summary) pass with each kind.
EXAMPLES: dict[NoticeKind, dict[str, str]] = {
    NoticeKind.INCIDENT_NOTIFICATION: {"aware_on": "2026-11-16", "grounds": "child seriously harmed"},
    NoticeKind.CHAIR_DECISION: {"decision_text": "initiate a serious case review", "decided_on": "2026-12-01"},
    NoticeKind.CASE_DECISION: {"decision_text": "the sub-group recommends: initiate scr", "stage": "screening"},
    NoticeKind.REVIEWER_NAMES: {"reviewers": "A. Reviewer (Independent Reviews Ltd)"},
    NoticeKind.NON_PUBLICATION: {},
    NoticeKind.FINAL_PUBLICATION_DECISION: {"decision_text": "the report is published", "publication_on": "2027-06-01"},
    NoticeKind.PREPUBLICATION_COPY: {
        "publication_on": "2027-06-01",
        "what": "the overview report",
        "attached": "overview report, executive summary",
        "previous_date": "2027-05-20",
    },
    NoticeKind.PUBLICATION_RESCHEDULED: {
        "change": "on hold",
        "reason": "criminal trial",
        "previous_date": "2027-06-01",
        "publication_on": "",
    },
    NoticeKind.DEADLINE_REMINDER: {
        "title": "Information from Health (IR-1)",
        "due": "2027-02-05",
        "rule": "due date set in the information request (s14B Children Act 2004)",
        "source": "NEL SCR procedure (001) §8",
    },
    NoticeKind.DEADLINE_ESCALATION: {
        "title": "Action A1 (Police)",
        "due": "2027-09-30",
        "rule": "due date agreed in the action plan",
        "source": "NEL SCR procedure (001) §10",
    },
    NoticeKind.REVIEW_REMINDER: {"open_actions": "A1, A3"},
    NoticeKind.NOTICE_UNDELIVERED: {"notice": "incident notification", "recipient": "ofsted"},
    NoticeKind.LEARNING_SUMMARY: {"year": "2026", "board": "NEL", "link": "https://nel-lscb.example/learning/2026"},
}
OPTIONAL = {
    NoticeKind.CASE_DECISION: {"stage", "decided_on"},
    # Copies sent before they carried the documents had neither.
    NoticeKind.PREPUBLICATION_COPY: {"attached", "previous_date"},
    NoticeKind.PUBLICATION_RESCHEDULED: {"publication_on", "previous_date"},  # a hold has no new date
}  # the scrutiny outcome has no stage


@pytest.fixture(scope="module")
def templates() -> NoticeTemplates:
    return NoticeTemplates()


def render(
    templates: NoticeTemplates, kind: NoticeKind, facts: dict[str, str], reference: str = REFERENCE
) -> RenderedNotice:
    return templates.render(
        kind, reference=reference, case_url=f"https://scr.lscb.example/api/v1/cases/{reference}", facts=facts
    )


def test_every_kind_of_notice_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(NoticeKind)


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_renders_a_subject_a_plain_and_an_html_body(templates: NoticeTemplates, kind: NoticeKind) -> None:
    reference = "NEL-2026-LS" if kind == NoticeKind.LEARNING_SUMMARY else REFERENCE
    rendered = render(templates, kind, EXAMPLES[kind], reference)

    assert rendered.subject.startswith(f"[{reference}] ")
    assert "\n" not in rendered.subject
    assert rendered.subject == rendered.subject.strip()
    assert rendered.text.rstrip().endswith(FOOTER)
    assert FOOTER in rendered.html
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert rendered.html.rstrip().endswith("</html>")
    for text in (rendered.text, rendered.html):
        assert reference in text
        for value in EXAMPLES[kind].values():
            assert value in text, f"{kind}: {value!r} does not reach the email"
    link = EXAMPLES[kind]["link"] if kind == NoticeKind.LEARNING_SUMMARY else f"{CASE_URL}"
    assert f'<a href="{link}">{link}</a>' in rendered.html
    assert link in rendered.text


@pytest.mark.parametrize(
    ("kind", "fact"),
    [(kind, fact) for kind, facts in EXAMPLES.items() for fact in facts if fact not in OPTIONAL.get(kind, set())],
)
def test_a_missing_fact_is_an_error_naming_it(templates: NoticeTemplates, kind: NoticeKind, fact: str) -> None:
    facts = {name: value for name, value in EXAMPLES[kind].items() if name != fact}

    with pytest.raises(NoticeTemplateError) as raised:
        render(templates, kind, facts)

    assert str(raised.value) == f"{kind.value} notice of {REFERENCE}: missing fact ('{fact}' is undefined)"


def test_a_case_decision_reads_right_with_a_stage_or_a_decision_date(templates: NoticeTemplates) -> None:
    staged = render(templates, NoticeKind.CASE_DECISION, {"decision_text": "x y", "stage": "awaiting_chair_decision"})
    dated = render(templates, NoticeKind.CASE_DECISION, {"decision_text": "confirmed", "decided_on": "2027-01-04"})

    assert staged.text.splitlines()[0] == f"Case {REFERENCE} (awaiting chair decision): x y."
    assert dated.text.splitlines()[:2] == [f"Case {REFERENCE}: confirmed.", "Decided on 2027-01-04."]
    assert "Decided on" not in staged.text


def test_an_information_request_reminder_and_an_action_escalation_read_right(templates: NoticeTemplates) -> None:
    reminder = render(templates, NoticeKind.DEADLINE_REMINDER, EXAMPLES[NoticeKind.DEADLINE_REMINDER])
    escalation = render(templates, NoticeKind.DEADLINE_ESCALATION, EXAMPLES[NoticeKind.DEADLINE_ESCALATION])

    assert reminder.subject == f"[{REFERENCE}] Reminder: Information from Health (IR-1) due 2027-02-05"
    assert reminder.text.splitlines()[:5] == [
        f"A deadline on case {REFERENCE} is coming up.",
        "",
        "Deadline: Information from Health (IR-1)",
        "Due by:   the end of 2027-02-05 (UK time)",
        "Rule:     due date set in the information request (s14B Children Act 2004) (NEL SCR procedure (001) §8)",
    ]
    assert escalation.subject == f"[{REFERENCE}] Deadline missed: Action A1 (Police) was due 2027-09-30"
    assert escalation.text.splitlines()[:5] == [
        f"A deadline on case {REFERENCE} has passed without being met.",
        "",
        "Deadline: Action A1 (Police)",
        "Was due:  by the end of 2027-09-30 (UK time)",
        "Rule:     due date agreed in the action plan (NEL SCR procedure (001) §10)",
    ]
    assert "The breach is recorded on the case." in escalation.text


def test_html_is_escaped_and_plain_text_is_not(templates: NoticeTemplates) -> None:
    facts = {"aware_on": "2026-11-16", "grounds": 'abuse & neglect <script>alert("x")</script>'}

    rendered = render(templates, NoticeKind.INCIDENT_NOTIFICATION, facts)

    assert f"Grounds: {facts['grounds']}" in rendered.text
    assert "<script>" not in rendered.html
    assert "abuse &amp; neglect &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html


def test_a_line_break_in_a_fact_cannot_break_the_subject(templates: NoticeTemplates) -> None:
    facts = {"decision_text": "initiate\r\nBcc: someone@else.example", "decided_on": "2026-12-01"}

    rendered = render(templates, NoticeKind.CHAIR_DECISION, facts)

    assert rendered.subject == f"[{REFERENCE}] Independent chair's decision: initiate Bcc: someone@else.example"


def test_facts_cannot_replace_the_reference_or_the_case_link(templates: NoticeTemplates) -> None:
    facts = {**EXAMPLES[NoticeKind.NON_PUBLICATION], "reference": "OTHER-1", "case_url": "https://evil.example"}

    rendered = render(templates, NoticeKind.NON_PUBLICATION, facts)

    assert "OTHER-1" not in rendered.text + rendered.subject
    assert "evil.example" not in rendered.text + rendered.html


def test_a_kind_without_its_templates_stops_them_loading(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "notices")
    (tmp_path / "notices" / "review_reminder.html").unlink()

    with pytest.raises(NoticeTemplateError) as raised:
        NoticeTemplates(tmp_path / "notices")

    assert str(raised.value) == f"notice templates missing from {tmp_path / 'notices'}: review_reminder.html"
