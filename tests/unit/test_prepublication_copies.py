"""The pre-publication copies as the rules keep them (``domain/lifecycle/copies.py``): the documents travel with
them, the statutory notice is met on delivery to Ofsted, DfE and the National Panel (never on the decision), a
refusal blocks publication, only the delivered versions may be published, and a hold or a new date is told to
everyone who holds the date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

import pytest

from activities.deadline_activities import schedule_deadlines
from domain import lifecycle
from domain.case_file import CaseFile
from domain.case_messages import Actor, DeadlineStatus, NoticeKind, Refusal
from domain.decision_inputs import (
    AgreeActionPlanInput,
    DecidePublicationInput,
    MovePublicationDateInput,
    PlannedAction,
    RecordPrepublicationInput,
    RecordProceedingsInput,
    RecordPublishedInput,
    SendCopiesInput,
    UpdateBoardResponseInput,
)
from domain.lifecycle import DecisionRefused, EffectResults, NoticeRequest
from domain.lifecycle.effects import PrepareCopies, PublishReview, ResolveDeadlines
from domain.lifecycle.publication import CONSENT_ITEMS
from domain.local_practice import LocalIntervals
from domain.publication_messages import CopyDocument, PreparedCopies, PublicationHitSummary, PublishReviewResult
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import london_date
from tests.unit.test_lifecycle import make_case, schedule

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
PUBLISH_ON = date(2026, 7, 20)
NOTICE_DUE = date(2026, 7, 9)  # 7 working days before 20 July 2026
CHAIR = Actor(user="alice", role=Role.INDEPENDENT_CHAIR)
BM = Actor(user="bob", role=Role.BUSINESS_MANAGER)
PUBLISHER = Actor(user="pat", role=Role.PUBLISHER)
THREE = ("ofsted", "dfe", "national_panel")


def versions(summary_id: str = "2", summary_sha: str = "b") -> list[CopyDocument]:
    return [
        CopyDocument(document_id="1", kind="overview_report", sha256="a" * 64),
        CopyDocument(document_id=summary_id, kind="executive_summary", sha256=summary_sha * 64),
        CopyDocument(document_id="3", kind="board_response", sha256="c" * 64),
    ]


def planning(
    day: date = PUBLISH_ON, notice_due: date = NOTICE_DUE, documents: list[CopyDocument] | None = None
) -> EffectResults:
    return EffectResults.of(
        [schedule("prepublication_notice", notice_due), schedule("prepublication_steps", day - timedelta(days=1))],
        copies=PreparedCopies(documents=versions() if documents is None else documents),
    )


def new_case(stage: Stage = Stage.PUBLICATION_DECISION) -> CaseFile:
    case = make_case(stage)
    case.publication.deliver_copies = True  # a case started with the patch
    return case


def planned_case() -> tuple[CaseFile, NoticeRequest]:
    case = new_case()
    decision = DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="Ready")
    outcome = lifecycle.apply(case, CHAIR, decision, NOW, planning())
    [notice] = outcome.notices
    return case, notice


def deliver(case: CaseFile, notice: NoticeRequest, at: datetime = NOW, refused: dict[str, str] | None = None) -> None:
    for recipient in notice.recipients:
        lifecycle.notice_delivery(case, notice, recipient, at, (refused or {}).get(recipient))


def action_plan() -> AgreeActionPlanInput:
    action = PlannedAction(action_id="A1", description="d", owner_agency="o", due_on=PUBLISH_ON, success_criteria="s")
    return AgreeActionPlanInput(actions=[action])


def notice_status(case: CaseFile) -> DeadlineStatus:
    return case.deadlines["prepublication_notice"].status


def ready_to_publish(case: CaseFile) -> None:
    for item in CONSENT_ITEMS:
        case.publication.consent[item] = "done"


def test_the_decision_finds_the_documents_first_and_the_copies_carry_them() -> None:
    case = new_case()
    decision = DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="Ready")
    declared = lifecycle.declared_effects(case, decision, TODAY)
    assert [type(e).__name__ for e in declared] == ["ResolveDeadlines", "PrepareCopies"]
    prepare = declared[1]
    assert isinstance(prepare, PrepareCopies)
    assert (prepare.request.reference, prepare.request.withheld) == (case.reference, False)

    outcome = lifecycle.apply(case, CHAIR, decision, NOW, planning())
    [notice] = outcome.notices
    assert notice.kind == NoticeKind.PREPUBLICATION_COPY
    assert notice.recipients == THREE
    assert list(notice.attachments) == versions()
    assert notice.track_delivery
    # Sent is not received: the statutory notice is still open.
    assert notice_status(case) == DeadlineStatus.PENDING


def test_a_case_started_before_the_patch_still_counts_the_notice_met_on_sending() -> None:
    case = make_case(Stage.PUBLICATION_DECISION)
    decision = DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="Ready")
    assert [type(e).__name__ for e in lifecycle.declared_effects(case, decision, TODAY)] == ["ResolveDeadlines"]
    outcome = lifecycle.apply(case, CHAIR, decision, NOW, planning())
    assert outcome.notices[0].attachments == ()
    assert notice_status(case) == DeadlineStatus.MET


def test_copies_cannot_go_without_the_documents() -> None:
    case = new_case()
    decision = DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="Ready")
    missing = EffectResults.of(
        [schedule("prepublication_notice", NOTICE_DUE), schedule("prepublication_steps", PUBLISH_ON)],
        copies=PreparedCopies(missing=["executive_summary"]),
    )
    with pytest.raises(DecisionRefused, match="upload the executive summary first") as refused:
        lifecycle.apply(case, CHAIR, decision, NOW, missing)
    assert refused.value.refusal == Refusal.CONFLICT


def test_copies_carry_what_will_be_published_so_the_gate_must_pass_first() -> None:
    case = new_case()
    decision = DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="Ready")
    hit = PublicationHitSummary(
        document_id=1, document_kind="overview_report", category="name", paragraph=2, line=1, character=1, place="p2"
    )
    blocked = EffectResults.of(
        [schedule("prepublication_notice", NOTICE_DUE), schedule("prepublication_steps", PUBLISH_ON)],
        copies=PreparedCopies(hits=[hit]),
    )
    with pytest.raises(DecisionRefused, match=r"anonymisation gate found 1 .*overview_report: name at p2"):
        lifecycle.apply(case, CHAIR, decision, NOW, blocked)


def test_the_notice_is_met_when_all_three_have_received_them() -> None:
    case, notice = planned_case()
    lifecycle.notice_delivery(case, notice, "ofsted", NOW, None)
    lifecycle.notice_delivery(case, notice, "dfe", NOW, None)
    assert notice_status(case) == DeadlineStatus.PENDING
    outcome = lifecycle.notice_delivery(case, notice, "national_panel", NOW + timedelta(minutes=1), None)
    assert outcome.kind == "copies_delivered"
    assert notice_status(case) == DeadlineStatus.MET
    assert case.deadlines["prepublication_notice"].met_at == NOW + timedelta(minutes=1)


def test_a_refused_copy_keeps_the_notice_open_and_publishing_is_refused_naming_it() -> None:
    case, notice = planned_case()
    deliver(case, notice, refused={"dfe": "550 5.1.1 Mailbox unavailable"})
    assert notice_status(case) == DeadlineStatus.PENDING
    ready_to_publish(case)
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, PUBLISHER, RecordPublishedInput(), PUBLISH_ON)
    assert refused.value.refusal == Refusal.CONFLICT
    assert "DfE (refused by the mail server: 550 5.1.1 Mailbox unavailable)" in refused.value.message
    assert "published" not in [a.kind for a in lifecycle.awaiting(case)]
    assert [a.kind for a in lifecycle.awaiting(case)] == ["prepublication_copies"]

    # Sent again to DfE only (same versions, same date); delivered, the notice is met and publication may go.
    resend = lifecycle.apply(case, BM, SendCopiesInput(), NOW, planning())
    [again] = resend.notices
    assert again.recipients == ("dfe",)
    assert again.occurrence != notice.occurrence
    lifecycle.notice_delivery(case, again, "dfe", NOW + timedelta(days=1), None)
    assert notice_status(case) == DeadlineStatus.MET
    lifecycle.check(case, PUBLISHER, RecordPublishedInput(), PUBLISH_ON)


def test_copies_delivered_fewer_than_seven_working_days_ahead_block_publication() -> None:
    case, notice = planned_case()
    late = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)  # after 9 July
    deliver(case, notice, at=late)
    assert notice_status(case) == DeadlineStatus.MET_LATE
    ready_to_publish(case)
    with pytest.raises(DecisionRefused, match="delivered on 2026-07-13, fewer than 7 working days"):
        lifecycle.check(case, PUBLISHER, RecordPublishedInput(), PUBLISH_ON)


def test_only_the_delivered_versions_are_published_and_a_changed_document_refuses() -> None:
    case, notice = planned_case()
    deliver(case, notice)
    ready_to_publish(case)
    [_, publish] = lifecycle.declared_effects(case, RecordPublishedInput(), PUBLISH_ON)
    assert isinstance(publish, PublishReview)
    assert publish.request.delivered == versions()

    changed = EffectResults.of([], PublishReviewResult(published=False, changed=["executive_summary"]))
    at = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
    with pytest.raises(DecisionRefused, match="executive summary changed after the pre-publication copies"):
        lifecycle.apply(case.model_copy(deep=True), PUBLISHER, RecordPublishedInput(), at, changed)


def test_new_versions_are_sent_to_all_three_and_reopen_the_notice() -> None:
    case, notice = planned_case()
    deliver(case, notice)
    assert notice_status(case) == DeadlineStatus.MET
    outcome = lifecycle.apply(case, BM, SendCopiesInput(), NOW, planning(documents=versions("4", "d")))
    [again] = outcome.notices
    assert again.recipients == THREE
    assert list(again.attachments) == versions("4", "d")
    assert notice_status(case) == DeadlineStatus.PENDING
    ready_to_publish(case)
    with pytest.raises(DecisionRefused, match="not been delivered to Ofsted, DfE, the National Panel"):
        lifecycle.check(case, PUBLISHER, RecordPublishedInput(), PUBLISH_ON)
    lifecycle.notice_delivery(case, notice, "ofsted", NOW, None)  # a late answer about the old versions
    assert "ofsted" not in (case.publication.copies.delivered if case.publication.copies else {})

    deliver(case, again)
    with pytest.raises(DecisionRefused, match="already received the current versions"):
        lifecycle.apply(case, BM, SendCopiesInput(), NOW, planning(documents=versions("4", "d")))


def test_copies_sent_again_too_late_for_the_date_are_refused() -> None:
    case, notice = planned_case()
    deliver(case, notice)
    with pytest.raises(DecisionRefused, match="move the publication date instead"):
        lifecycle.check(case, BM, SendCopiesInput(), NOTICE_DUE + timedelta(days=1))


@pytest.mark.parametrize(
    ("proceeding", "reason"),
    [("criminal_trial", "criminal trial"), ("inquest", "inquest"), ("reporting_restriction", "reporting restriction")],
)
def test_a_hold_tells_everyone_who_holds_the_date_and_the_steps_are_recorded_again(
    proceeding: Literal["criminal_trial", "inquest", "reporting_restriction"], reason: str
) -> None:
    case, notice = planned_case()
    deliver(case, notice)
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
        lifecycle.apply(case, BM, RecordPrepublicationInput(item=item, note="done"), NOW, EffectResults())
    trial = RecordProceedingsInput(proceeding_id="T1", proceeding=proceeding, status="started")
    outcome = lifecycle.apply(case, BM, trial, NOW, EffectResults())
    assert case.stage == Stage.PUBLICATION_ON_HOLD
    [told] = outcome.notices
    assert told.kind == NoticeKind.PUBLICATION_RESCHEDULED
    assert told.recipients == (*THREE, "professionals", "family")
    assert told.facts == {
        "change": "on hold",
        "reason": reason,
        "previous_date": "2026-07-20",
        "publication_on": "",
    }
    assert not any(item in case.publication.consent for item in ("professionals_informed", "family_supported"))


def test_a_new_date_sends_the_copies_again_and_tells_professionals_and_family_once_told() -> None:
    case, notice = planned_case()
    deliver(case, notice)
    case.stage = Stage.PRE_PUBLICATION
    lifecycle.apply(case, BM, RecordPrepublicationInput(item="family_supported", note="n"), NOW, EffectResults())
    later = date(2026, 8, 3)
    move = MovePublicationDateInput(publication_on=later, reason="The family asked for more time")
    assert [type(e).__name__ for e in lifecycle.declared_effects(case, move, TODAY)] == [
        "ResolveDeadlines",
        "PrepareCopies",
    ]
    outcome = lifecycle.apply(case, CHAIR, move, NOW, planning(later, date(2026, 7, 23)))
    copy, told = outcome.notices
    assert (copy.kind, copy.recipients, copy.facts["previous_date"]) == (
        NoticeKind.PREPUBLICATION_COPY,
        THREE,
        "2026-07-20",
    )
    assert (told.kind, told.recipients) == (NoticeKind.PUBLICATION_RESCHEDULED, ("family",))
    assert "family asked" not in str(told.facts)  # free text stays on the case, never in an email
    assert "family_supported" not in case.publication.consent
    assert notice_status(case) == DeadlineStatus.PENDING


def test_a_case_waiting_for_its_publication_decision_is_reminded_and_escalated_at_the_boards_interval() -> None:
    case = new_case(Stage.ACTION_PLAN)
    plan = action_plan()
    [resolve] = lifecycle.declared_effects(case, plan, TODAY)
    assert isinstance(resolve, ResolveDeadlines)
    assert (resolve.request.local, resolve.request.board) == ({"publication_decision": TODAY}, "NEL")

    # The board's interval (local practice, a setting): 5 working days for NEL, 10 elsewhere.
    schedules = schedule_deadlines(resolve.request, intervals=LocalIntervals(10, {"NEL": 5}))
    lifecycle.apply(case, Actor(user="s", role=Role.SUB_GROUP), plan, NOW, EffectResults.of(schedules))
    asap = case.deadlines["publication_decision"].schedule
    assert (asap.due, [london_date(at) for at in asap.reminders_at]) == (date(2026, 6, 24), [date(2026, 6, 17)])
    assert asap.rule.startswith("local practice")
    assert "003" in asap.source

    reminder = lifecycle.fire_clock(case, "publication_decision", asap.reminders_at[0])
    assert reminder is not None
    assert reminder.notices[0].recipients == ("independent_chair",)
    breach = lifecycle.fire_clock(case, "publication_decision", asap.due_at)
    assert breach is not None
    assert breach.notices[0].recipients == ("business_manager", "sub_group")

    lifecycle.apply(
        case, CHAIR, DecidePublicationInput(decision="publish", publication_on=PUBLISH_ON, reasons="r"), NOW, planning()
    )
    assert case.deadlines["publication_decision"].status == DeadlineStatus.MET_LATE


def test_cases_started_before_the_patch_get_no_new_clock() -> None:
    case = make_case(Stage.ACTION_PLAN)
    plan = action_plan()
    [resolve] = lifecycle.declared_effects(case, plan, TODAY)
    assert isinstance(resolve, ResolveDeadlines)
    assert resolve.request.local == {}
    assert (
        lifecycle.declared_effects(make_case(Stage.PUBLICATION_ON_HOLD), UpdateBoardResponseInput(summary="s"), TODAY)
        == []
    )
