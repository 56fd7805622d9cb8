"""Decision forms generated from the handlers' input models: the questions, and GOV.UK's error wording for what
the model refuses (the model is the only copy of the rules)."""

from __future__ import annotations

from api.console import forms
from api.schemas import OpenCaseRequest
from domain.decision_inputs import (
    AppointReviewersInput,
    DecidePublicationInput,
    RecordActionProgressInput,
    RecordPanelInformationInput,
    RecordQualityAssuranceInput,
)
from domain.lifecycle import HANDLERS
from domain.quality import QUALITY_RULES


def test_questions_follow_the_input_model() -> None:
    asked = forms.questions(DecidePublicationInput)
    assert asked is not None
    assert [(q.name, q.widget, q.required) for q in asked] == [
        ("decision", "radios", True),
        ("publication_on", "date", False),
        ("reasons", "textarea", True),
        ("non_publication_reason", "radios", False),
    ]
    assert asked[0].options == ("publish", "do_not_publish")
    progress = forms.questions(RecordActionProgressInput)
    assert progress is not None
    assert {q.name: q.widget for q in progress}["action_id"] == "input"
    assert {q.name: q.widget for q in progress}["complete"] == "yes_no"


def test_every_decision_has_a_form() -> None:
    keys = {"quality_assurance": {"checks": QUALITY_RULES}}  # named by the domain, as the console passes them
    assert [h.kind for h in HANDLERS if forms.questions(h.input_type, keys=keys.get(h.kind)) is None] == []
    assert forms.questions(RecordQualityAssuranceInput) is None  # without the names: no partial form


def test_quality_checks_are_asked_for_each_of_the_domains_rules() -> None:
    asked = forms.questions(RecordQualityAssuranceInput, keys={"checks": QUALITY_RULES})
    assert asked is not None
    assert {q.group for q in asked} == set(QUALITY_RULES.values())
    sent = {f"checks__{rule}__passed": "yes" for rule in QUALITY_RULES}
    sent |= {f"checks__{rule}__comment": "Fine" for rule in QUALITY_RULES}
    sent["checks__plain_english__passed"] = "no"
    decision, answers = forms.read(RecordQualityAssuranceInput, asked, sent)
    assert isinstance(decision, RecordQualityAssuranceInput), answers.errors
    assert decision.checks["plain_english"].passed is False
    assert decision.checks["anonymised"].passed is True


def test_a_list_is_asked_item_by_item_and_blank_items_are_left_out() -> None:
    sent = {
        "reviewers-0-name": "",
        "reviewers-0-organisation": "",
        "reviewers-1-name": "R. Viewer",
        "reviewers-1-organisation": "Independent",
        "reviewers-1-independence_statement": "No prior involvement",
        "reviewers-2-name": "Second",
    }
    form, rows = forms.compact(AppointReviewersInput, sent)
    assert rows == {"reviewers": 2}
    asked = forms.questions(AppointReviewersInput, rows=rows)
    assert asked is not None
    assert [q.name for q in asked][:3] == [
        "reviewers-0-name",
        "reviewers-0-organisation",
        "reviewers-0-independence_statement",
    ]
    assert {q.group for q in asked} == {"Reviewer 1", "Reviewer 2"}
    decision, answers = forms.read(AppointReviewersInput, asked, form)
    assert decision is None
    assert answers.errors == {
        "reviewers-1-organisation": "Enter organisation",
        "reviewers-1-independence_statement": "Enter independence statement",
    }
    assert answers.values["reviewers-0-name"] == "R. Viewer"

    nothing, _ = forms.compact(AppointReviewersInput, {})
    decision, answers = forms.read(AppointReviewersInput, forms.questions(AppointReviewersInput) or [], nothing)
    assert decision is None
    assert answers.errors == {  # at least one reviewer: the first one's questions
        "reviewers-0-name": "Enter name",
        "reviewers-0-organisation": "Enter organisation",
        "reviewers-0-independence_statement": "Enter independence statement",
    }

    complete = {k: v for k, v in form.items() if k.startswith("reviewers-0-")}
    decision, answers = forms.read(AppointReviewersInput, forms.questions(AppointReviewersInput) or [], complete)
    assert isinstance(decision, AppointReviewersInput)
    assert decision.reviewers[0].organisation == "Independent"


def test_dates_and_rules_across_fields_get_govuk_wording() -> None:
    asked = forms.questions(DecidePublicationInput)
    assert asked is not None
    sent = {
        "decision": "publish",
        "publication_on-day": "31",
        "publication_on-month": "2",
        "publication_on-year": "2027",
    }
    decision, answers = forms.read(DecidePublicationInput, asked, sent)
    assert decision is None
    assert answers.errors == {"publication_on": "Publication on must be a real date", "reasons": "Enter reasons"}
    assert answers.values["publication_on-day"] == "31"  # kept as typed

    # The model's own rule (a date is needed to publish) is reported, not re-implemented.
    decision, answers = forms.read(DecidePublicationInput, asked, {"decision": "publish", "reasons": "Learning"})
    assert decision is None
    assert "publication_on is needed to publish" in answers.errors["decision"]

    sent = {"decision": "publish", "reasons": "Learning"} | {
        "publication_on-day": "1",
        "publication_on-month": "3",
        "publication_on-year": "2027",
    }
    decision, answers = forms.read(DecidePublicationInput, asked, sent)
    assert isinstance(decision, DecidePublicationInput)
    assert decision.publication_on is not None
    assert decision.publication_on.isoformat() == "2027-03-01"
    assert answers.errors == {}


def test_a_list_of_short_texts_is_asked_one_per_line() -> None:
    asked = forms.questions(RecordPanelInformationInput)
    assert asked is not None
    assert [(q.name, q.widget) for q in asked] == [("summary", "textarea"), ("documents", "lines")]
    sent = {"summary": "Chronology sent", "documents": "DOC-1\n\n  DOC-2  \n"}
    decision, answers = forms.read(RecordPanelInformationInput, asked, sent)
    assert isinstance(decision, RecordPanelInformationInput), answers.errors
    assert decision.documents == ["DOC-1", "DOC-2"]
    assert forms.shown(asked[1], decision) == "DOC-1, DOC-2"


def test_an_optional_part_left_blank_is_not_given() -> None:
    asked = forms.questions(OpenCaseRequest, skip=("board",))
    assert asked is not None
    sent = {
        **{
            f"{name}-{part}": value
            for name in ("aware_on", "notified_on")
            for part, value in (("day", "2"), ("month", "11"), ("year", "2026"))
        },
        "incident__outcome": "died",
        "incident__abuse_or_neglect": "suspected",
    }
    opening, answers = forms.read(OpenCaseRequest, asked, sent, fixed={"board": "NEL"})
    assert isinstance(opening, OpenCaseRequest), answers.errors
    assert opening.ofsted_notified is None
    shown = {q.name: forms.shown(q, opening) for q in asked}
    assert shown["ofsted_notified__notified_on"] == "Not given"
    assert shown["incident__other_lscbs"] == "None"
