"""Whole stories of a case, with dates, on the time-skipping server (a fresh one per story)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays

from domain.case_messages import DeadlineStatus
from domain.decision_inputs import (
    AgreeActionPlanInput,
    CloseCaseInput,
    CompleteAlternativeReviewInput,
    DecideChairInput,
    DecideFinalPublicationInput,
    DecidePublicationInput,
    DecideScrutinyInput,
    MovePublicationDateInput,
    PlannedAction,
    RecordActionProgressInput,
    RecordDfeAdviceInput,
    RecordInformationResponseInput,
    RecordPanelAdviceInput,
    RecordPrepublicationInput,
    RecordProceedingsInput,
    RecordPublishedInput,
    RemoveFromWebsiteInput,
    RequestInformationInput,
    SubmitFinalReportInput,
    UpdateBoardResponseInput,
)
from store.document_store import FilesystemDocumentStore
from tests.support.case_harness import DEATH, NOT_NOTIFIABLE, SERIOUS_HARM, screen
from tests.support.publication_harness import CLEAN_RESPONSE, CLEAN_SUMMARY, add_document, record_identifiers
from tests.support.services import plain_text
from tests.workflows.story import Story, oracle_working_days, passing_quality

CHAIR, BM, SG, PUBLISHER = "independent_chair", "business_manager", "sub_group", "publisher"
CONSENT = ("professionals_informed", "family_supported", "media_strategy_ready", "chair_consent")


def _next(holiday_name: str, after: date) -> date:
    for year in (after.year, after.year + 1):
        for day, name in sorted(holidays.country_holidays("GB", subdiv="ENG", years=year).items()):
            if holiday_name in name and day > after:
                return day
    raise AssertionError(holiday_name)


async def test_easter_inside_the_notification_deadline(story: Story) -> None:
    good_friday = _next("Good Friday", await story.today() + timedelta(days=2))
    aware = good_friday - timedelta(days=1)  # Maundy Thursday, as in the worked example of 24 Mar 2016
    await story.go_to(aware)
    state = await story.open(DEATH, aware_on=aware)
    due = {d.key: d.due for d in state.deadlines}
    easter_monday = good_friday + timedelta(days=3)
    assert due["notify_ofsted"] == oracle_working_days(aware, 5)
    assert due["notify_ofsted"] > easter_monday + timedelta(days=3)  # both bank holidays skipped
    await story.mail.wait_for(2)
    await story.deadline_becomes("notify_ofsted", DeadlineStatus.MET)


async def test_christmas_inside_the_notification_deadline(story: Story) -> None:
    christmas = _next("Christmas Day", await story.today())
    aware = date(christmas.year, 12, 22)
    if aware <= await story.today():
        aware = date(christmas.year + 1, 12, 22)
    await story.go_to(aware)
    state = await story.open(SERIOUS_HARM, aware_on=aware)
    due = {d.key: d.due for d in state.deadlines}
    assert due["notify_ofsted"] == oracle_working_days(aware, 5)
    # Five working days, plus a weekend, plus at least Christmas Day and Boxing Day (or their substitutes).
    assert (due["notify_ofsted"] - aware).days >= 9


async def test_do_not_initiate_challenged_by_the_panel_and_reversed(story: Story) -> None:
    await story.open(SERIOUS_HARM)
    await screen(story.case, "no_review")
    state = await story.by(
        CHAIR,
        DecideChairInput(
            decision="do_not_initiate",
            rationale="Agencies worked well together",
            definitive_evidence="Joint agency audit found no concerns",
        ),
    )
    assert state.stage == "panel_scrutiny"
    assert [a.kind for a in state.awaiting] == ["panel_advice", "scrutiny_outcome"]
    decision_mail = await story.wait_for_mail("chair's decision", 2)
    assert sorted(str(m["To"]) for m in decision_mail) == sorted(
        [story.settings.mail.ofsted, story.settings.mail.national_panel]
    )

    await story.by(
        BM, RecordPanelAdviceInput(outcome="challenges", advice="The audit does not show definitive evidence")
    )
    state = await story.by(
        CHAIR, DecideScrutinyInput(outcome="revise", rationale="Having regard to the panel's advice")
    )
    assert state.stage == "awaiting_chair_decision"
    state = await story.by(CHAIR, DecideChairInput(decision="initiate_scr", rationale="Decision revised"))
    assert state.stage == "reviewer_appointment"
    assert state.chair_decision == "initiate_scr"
    review_due = {d.key: d.due for d in state.deadlines}["review_completion"]
    today = await story.today()
    assert (review_due.year * 12 + review_due.month) - (today.year * 12 + today.month) == 6
    # The revised decision is notified too (a second chair's decision to both).
    await story.wait_for_mail("chair's decision", 4)


async def test_confirmed_do_not_initiate_closes_the_case(story: Story) -> None:
    await story.open(SERIOUS_HARM)
    await screen(story.case, "no_review")
    evidence = DecideChairInput(decision="do_not_initiate", rationale="Good practice", definitive_evidence="Audit")
    await story.by(CHAIR, evidence)
    await story.by(BM, RecordPanelAdviceInput(outcome="agrees", advice="The panel agrees"))
    state = await story.by(CHAIR, DecideScrutinyInput(outcome="confirm", rationale="Panel agrees"))
    assert state.stage == "closed_without_review"
    confirmed = await story.wait_for_mail("decision not to initiate is confirmed", 2)
    assert {str(m["To"]) for m in confirmed} == {story.settings.mail.ofsted, story.settings.mail.national_panel}
    # Only once no notice is in flight: the test server would otherwise skip time past activity timeouts.
    await story.case.result()  # the workflow ends with the case


async def test_full_path_to_publication_and_removal(story: Story) -> None:
    await story.to_review(DEATH)
    start = await story.today()

    # An information request goes unanswered past its due date: reminder, escalation, breach.
    request_due = start + timedelta(days=14)
    await story.by(
        "lead_reviewer",
        RequestInformationInput(
            request_id="IR1",
            agency="Health",
            information="Health visitor records",
            necessity="Needed to understand contact before the incident",
            proportionality="Limited to the 12 months before the incident",
            due_on=request_due,
        ),
    )
    await story.go_to(request_due + timedelta(days=2))
    assert (await story.deadline("information_request:IR1")).status == DeadlineStatus.OVERDUE
    assert story.mails("Reminder: Information from Health")
    assert story.mails("Deadline missed: Information from Health")
    state = await story.by("agency_contact", RecordInformationResponseInput(request_id="IR1", summary="Records sent"))
    assert {d.key: d.status for d in state.deadlines}["information_request:IR1"] == DeadlineStatus.MET_LATE

    # The report fails quality assurance once, then passes.
    await story.by("lead_reviewer", SubmitFinalReportInput(document="doc-1", summary="Draft"))
    state = await story.by(SG, passing_quality(plain_english="Too much jargon"))
    assert state.stage == "in_review"
    await story.wait_for_mail("went back to the reviewer")
    await story.by("lead_reviewer", SubmitFinalReportInput(document="doc-2", summary="Revised"))
    state = await story.by(SG, passing_quality())
    assert state.stage == "action_plan"
    assert {d.key: d.status for d in state.deadlines}["review_completion"] == DeadlineStatus.MET

    today = await story.today()
    actions = [
        PlannedAction(
            action_id=action_id,
            description="Multi-agency training",
            owner_agency="Police",
            due_on=today + timedelta(days=days),
            success_criteria="All staff trained",
        )
        for action_id, days in (("A1", 90), ("A2", 420))
    ]
    state = await story.by(SG, AgreeActionPlanInput(actions=actions))
    assert state.stage == "publication_decision"

    publication_on = today + timedelta(days=30)
    decision = DecidePublicationInput(decision="publish", publication_on=publication_on, reasons="Ready")
    # The copies carry the documents: none uploaded yet, the decision is refused and changes nothing.
    no_documents = await story.refused(CHAIR, decision)
    assert "upload the overview report, executive summary, board's response first" in no_documents.message
    reference = (await story.state()).reference
    await record_identifiers(story.engine, reference)
    store = FilesystemDocumentStore(story.settings.document_dir)
    named = b"# Overview report\n\nJayden was known to three agencies.\n"
    await add_document(story.engine, store, reference, "overview_report", named, "text/markdown")
    for kind, text in (("executive_summary", CLEAN_SUMMARY), ("board_response", CLEAN_RESPONSE)):
        await add_document(story.engine, store, reference, kind, text.encode(), "text/markdown")
    # The copies carry what will be published: the gate blocks a report that names the child, and says where.
    blocked = await story.refused(CHAIR, decision)
    assert "anonymisation gate" in blocked.message
    assert "overview_report" in blocked.message
    assert "Jayden" not in blocked.message  # the hit's place is named, not the child
    assert (await story.state()).stage == "publication_decision"

    await story.prepare_publication()  # corrected documents
    state = await story.by(CHAIR, decision)
    assert state.stage == "pre_publication"
    notice = {d.key: d for d in state.deadlines}["prepublication_notice"]
    assert notice.due == oracle_working_days(publication_on, -7)
    assert notice.status == DeadlineStatus.PENDING  # sent is not received
    copies = await story.wait_for_mail("Pre-publication copy", 3)
    assert {str(m["To"]) for m in copies} == {
        story.settings.mail.ofsted,
        story.settings.mail.dfe,
        story.settings.mail.national_panel,
    }
    assert all(len(list(m.iter_attachments())) == 3 for m in copies)
    attached = [part.get_payload(decode=True) for m in copies for part in m.iter_attachments()]
    assert attached
    assert not any(b"Jayden" in part for part in attached if isinstance(part, bytes))
    await story.deadline_becomes("prepublication_notice", DeadlineStatus.MET)  # met on delivery

    too_early = await story.refused(PUBLISHER, RecordPublishedInput())
    assert "must be recorded" in too_early.message
    for item in CONSENT:
        await story.by(CHAIR if item == "chair_consent" else BM, RecordPrepublicationInput(item=item, note="Done"))
    not_yet = await story.refused(PUBLISHER, RecordPublishedInput())
    assert publication_on.isoformat() in not_yet.message

    # A summary uploaded again after the copies is not what they carried.
    revised = CLEAN_SUMMARY + "\nRevised after the copies.\n"
    await add_document(story.engine, store, reference, "executive_summary", revised.encode(), "text/markdown")
    await story.go_to(publication_on)
    changed = await story.refused(PUBLISHER, RecordPublishedInput())
    assert "executive summary changed after the pre-publication copies" in changed.message
    assert (await story.state()).stage == "pre_publication"
    publication_on = oracle_working_days(await story.today(), 10)
    await story.by(CHAIR, MovePublicationDateInput(publication_on=publication_on, reason="Revised summary"))
    await story.wait_for_mail(f"publication planned for {publication_on.isoformat()}", 3)
    await story.deadline_becomes("prepublication_notice", DeadlineStatus.MET)
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):  # for the new date
        await story.by(BM, RecordPrepublicationInput(item=item, note="Told the new date"))
    await story.go_to(publication_on)
    state = await story.by(PUBLISHER, RecordPublishedInput())
    assert state.stage == "published"
    page = story.settings.site_dir / "reviews" / reference / "index.html"
    assert page.exists()
    minimum = {d.key: d for d in state.deadlines}["website_minimum"]
    assert (minimum.due.year, minimum.due.month, minimum.due.day) == (
        publication_on.year + 1,
        publication_on.month,
        publication_on.day,
    )

    await story.by(
        SG,
        RecordActionProgressInput(
            action_id="A1", progress="Training delivered", impact="Better referrals", complete=True
        ),
    )
    await story.go_to(publication_on + timedelta(days=180))
    early = await story.refused(PUBLISHER, RemoveFromWebsiteInput(reason="Six months is enough"))
    assert "at least 12 months" in early.message

    await story.go_to(minimum.due + timedelta(days=3))
    state = await story.state()
    assert state.stage == "retained"
    held = await story.refused(PUBLISHER, RemoveFromWebsiteInput(reason="12 months reached"))
    assert "A2" in held.message
    publisher_override = await story.refused(PUBLISHER, RemoveFromWebsiteInput(reason="x", override_reason="y"))
    assert publisher_override.type == "Forbidden"

    await story.go_to(minimum.due + timedelta(days=40))
    assert story.mails("Monthly review")  # the sub-group reviews it while actions are open
    await story.by(SG, RecordActionProgressInput(action_id="A2", progress="Done", impact="Audit passed", complete=True))
    state = await story.by(PUBLISHER, RemoveFromWebsiteInput(reason="Actions complete"))
    assert state.stage == "removed"
    assert not page.exists()
    assert "available on request" in (story.settings.site_dir / "index.html").read_text()
    state = await story.by(CHAIR, CloseCaseInput(learning_summary="Information sharing between health and police"))
    assert state.stage == "closed"
    await story.case.result()
    assert not [d for d in state.deadlines if d.status == DeadlineStatus.PENDING]


async def test_publication_held_for_a_trial_then_an_inquest(story: Story) -> None:
    await story.to_publication_decision(DEATH)
    await story.by(BM, RecordProceedingsInput(proceeding_id="T1", proceeding="criminal_trial", status="started"))
    first_date = await story.today() + timedelta(days=30)
    state = await story.by(
        CHAIR, DecidePublicationInput(decision="publish", publication_on=first_date, reasons="Ready")
    )
    assert state.stage == "publication_on_hold"
    assert "prepublication_notice" not in {d.key for d in state.deadlines}
    await story.by(BM, RecordProceedingsInput(proceeding_id="I1", proceeding="inquest", status="started"))

    await story.go_to(await story.today() + timedelta(days=60))
    state = await story.by(
        BM, RecordProceedingsInput(proceeding_id="T1", proceeding="criminal_trial", status="concluded")
    )
    assert state.stage == "publication_on_hold"
    waiting = await story.refused(BM, UpdateBoardResponseInput(summary="Updated"))
    assert "I1" in waiting.message

    await story.go_to(await story.today() + timedelta(days=90))
    await story.by(BM, RecordProceedingsInput(proceeding_id="I1", proceeding="inquest", status="concluded"))
    state = await story.by(BM, UpdateBoardResponseInput(summary="Response updated with the coroner's findings"))
    assert state.stage == "publication_decision"
    await story.prepare_publication()
    final_date = await story.today() + timedelta(days=21)
    state = await story.by(
        CHAIR, DecidePublicationInput(decision="publish", publication_on=final_date, reasons="Proceedings over")
    )
    assert state.stage == "pre_publication"
    assert {d.key: d.due for d in state.deadlines}["prepublication_notice"] == oracle_working_days(final_date, -7)


async def test_not_publishing_challenged_and_overturned(story: Story) -> None:
    await story.to_publication_decision(DEATH)
    state = await story.by(
        CHAIR,
        DecidePublicationInput(
            decision="do_not_publish",
            reasons="Siblings would be identified",
            non_publication_reason="identification_and_media",
        ),
    )
    assert state.stage == "publication_decision"
    # Both DfE and the National Panel advise (000).
    assert [a.kind for a in state.awaiting if a.kind != "action_progress"] == ["panel_advice", "dfe_advice"]
    sent = await story.wait_for_mail("not to publish", 2)
    told = {str(m["To"]) for m in sent}
    assert told == {story.settings.mail.dfe, story.settings.mail.national_panel}
    assert not any("Siblings" in m.as_string() for m in sent)  # the chair's own words stay on the case
    # The notice states the reason recorded, not a fixed one.
    assert all("would be identified and face media interest" in " ".join(plain_text(m).split()) for m in sent)
    await story.by(BM, RecordDfeAdviceInput(outcome="advises", advice="Publish if it can be anonymised"))

    too_soon = await story.refused(
        CHAIR,
        DecideFinalPublicationInput(
            decision="publish", publication_on=await story.today() + timedelta(days=30), rationale="x"
        ),
    )
    assert "advice" in too_soon.message
    await story.by(BM, RecordPanelAdviceInput(outcome="challenges", advice="Anonymise further and publish"))
    await story.prepare_publication()
    day = await story.today() + timedelta(days=30)
    state = await story.by(
        CHAIR, DecideFinalPublicationInput(decision="publish", publication_on=day, rationale="Will anonymise")
    )
    assert state.stage == "pre_publication"
    final = await story.wait_for_mail("Final publication decision", 3)
    assert {str(m["To"]) for m in final} == {
        story.settings.mail.ofsted,
        story.settings.mail.dfe,
        story.settings.mail.national_panel,
    }
    assert "the report is published" in plain_text(final[0])


async def test_not_publishing_confirmed_still_publishes_the_actions(story: Story) -> None:
    await story.to_publication_decision(DEATH)
    await story.by(CHAIR, DecidePublicationInput(decision="do_not_publish", reasons="Family would be identified"))
    await story.by(BM, RecordPanelAdviceInput(outcome="agrees", advice="The panel agrees"))
    await story.prepare_publication()
    day = await story.today() + timedelta(days=30)
    state = await story.by(
        CHAIR, DecideFinalPublicationInput(decision="do_not_publish", publication_on=day, rationale="Confirmed")
    )
    assert state.stage == "pre_publication"
    for item in CONSENT:
        await story.by(CHAIR if item == "chair_consent" else BM, RecordPrepublicationInput(item=item, note="Done"))
    await story.deadline_becomes("prepublication_notice", DeadlineStatus.MET)
    await story.go_to(day)
    state = await story.by(PUBLISHER, RecordPublishedInput())
    assert state.stage == "published"
    copies = await story.wait_for_mail("Pre-publication copy", 3)
    assert all("board's response and action plan" in plain_text(m) for m in copies)
    published = sorted(p.name for p in (story.settings.site_dir / "reviews" / state.reference).iterdir())
    assert not [name for name in published if "overview" in name or "executive" in name]  # withheld


async def test_alternative_learning_review_sends_no_incident_notice_and_is_scrutinised(story: Story) -> None:
    await story.open(NOT_NOTIFIABLE)
    await screen(story.case, "alternative_review")
    state = await story.by(CHAIR, DecideChairInput(decision="alternative_review", rationale="Good practice to share"))
    assert state.stage == "panel_scrutiny"  # a decision not to initiate an SCR (001 §4)
    await story.by(BM, RecordPanelAdviceInput(outcome="agrees", advice="Proportionate"))
    await story.by(CHAIR, DecideScrutinyInput(outcome="confirm", rationale="Panel agrees"))
    state = await story.by(SG, CompleteAlternativeReviewInput(learning="Early help worked"))
    assert state.stage == "closed"
    await story.case.result()
    assert not any("Notification of a serious" in str(m["Subject"]) for m in story.mail.messages())
    # Every chair decision goes to Ofsted and the National Panel, notifiable or not.
    decided = {str(m["To"]) for m in story.mails("Independent chair's decision")}
    assert decided == {story.settings.mail.ofsted, story.settings.mail.national_panel}
    assert (await story.deadline("notify_ofsted")).status == DeadlineStatus.NOT_APPLICABLE


async def test_moving_the_publication_date_moves_its_clocks(story: Story) -> None:
    await story.to_publication_decision(DEATH)
    await story.prepare_publication()
    first = await story.today() + timedelta(days=20)
    await story.by(CHAIR, DecidePublicationInput(decision="publish", publication_on=first, reasons="Ready"))
    later = first + timedelta(days=42)
    state = await story.by(CHAIR, MovePublicationDateInput(publication_on=later, reason="Family asked for time"))
    deadlines = {d.key: d for d in state.deadlines}
    assert deadlines["prepublication_notice"].due == oracle_working_days(later, -7)
    assert deadlines["prepublication_steps"].due == later - timedelta(days=1)
    assert deadlines["prepublication_steps"].status == DeadlineStatus.PENDING
    # New copies announce the new date; nothing is overdue on the old date.
    await story.wait_for_mail(f"publication planned for {later.isoformat()}", 3)
    await story.go_to(first + timedelta(days=1))
    assert not story.mails("Deadline missed")
    assert (await story.state()).overdue is False
    # The steps' reminders now run to the new date, and a missed one is escalated then.
    await story.go_to(later + timedelta(days=1))
    assert story.mails("Reminder: Professionals, family")
    assert story.mails("Deadline missed: Professionals, family")
