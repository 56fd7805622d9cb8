"""Publication phase: the decision whether and when to publish (or not, with the panel's and DfE's advice and a
final decision), the pre-publication steps, a moved date, and publication itself through the anonymisation gate
(000, 001 §11, 003, 004). Holds for parallel proceedings are in ``publication_hold``, the copies in ``copies``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.case_file import CaseFile
from domain.case_messages import Actor, AdhocDeadline, AwaitedDecision, NoticeKind, Refusal
from domain.decision_inputs import (
    NON_PUBLICATION_REASONS,
    DecideFinalPublicationInput,
    DecidePublicationInput,
    MovePublicationDateInput,
    RecordDfeAdviceInput,
    RecordPrepublicationInput,
    RecordPublishedInput,
)
from domain.lifecycle import copies
from domain.lifecycle.clocks import add_deadline, meet, replace_deadline
from domain.lifecycle.copies import COPY_RECIPIENTS, PUBLICATION_STEPS, STATUTORY_NOTICE
from domain.lifecycle.effects import Effect, EffectResults, PublishReview
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.outcome import NoticeRequest, Outcome, refuse
from domain.lifecycle.publication_hold import RecordProceedings, UpdateBoardResponse
from domain.lifecycle.referral import panel_advice_since_mark
from domain.local_practice import PUBLICATION_DECISION, local_source
from domain.publication_messages import PublishReviewResult
from domain.roles import Recipient, Role
from domain.rule_pack import CaseEvent
from domain.stages import Stage

BM, CHAIR = Role.BUSINESS_MANAGER, Role.INDEPENDENT_CHAIR
CONSENT_ITEMS = ("professionals_informed", "family_supported", "media_strategy_ready", "chair_consent")
CHAIR_CONSENT = "chair_consent"  # local practice only: the chair's decision to publish is the consent (001 §4)
STEPS_SETTING = "SCR_PUBLICATION_STEPS_DAYS_BEFORE"


def _check_future(day: date, today: date, name: str = "publication_on") -> None:
    if day <= today:
        raise refuse(f"{name} must be after today ({today.isoformat()}).", Refusal.INVALID)


def consent_items(case: CaseFile) -> tuple[str, ...]:
    """The pre-publication steps this case needs: the chair's consent only where the board's practice asks."""
    chair = case.local_practice.chair_consent_step
    return tuple(item for item in CONSENT_ITEMS if chair or item != CHAIR_CONSENT)


def _missing_steps(case: CaseFile) -> list[str]:
    return [item for item in consent_items(case) if item not in case.publication.consent]


def _planning(case: CaseFile, day: date) -> DeadlineNeeds:
    """A publication date starts the statutory notice (rule pack) and the steps recorded before it: the seeds
    want them before publication (001 §11; 004) and set no day, so the day is the board's practice."""
    days = case.local_practice.publication_steps_days_before
    chair = ", chair's consent" if case.local_practice.chair_consent_step else ""
    steps = AdhocDeadline(
        key=PUBLICATION_STEPS,
        title=f"Professionals, family{chair} and media strategy recorded",
        due=day - timedelta(days=days),
        reminder_working_days_before=[5, 2, 1],
        rule=f"all recorded before the publication date; due {days} day(s) before it by local practice",
        source="NEL SCR procedure (001) §11; Kent briefing (004); the day: "
        + local_source("SCR_PUBLICATION_STEPS_DAYS_BEFORE"),
        who_acts=BM.value,
        escalate_to=[CHAIR.value],
    )
    return DeadlineNeeds({CaseEvent.PUBLICATION_PLANNED.value: day}, (steps,))


def _plan_publication(case: CaseFile, day: date, applying: Applying, *, withheld: bool, rationale: str) -> Outcome:
    notice_due = applying.results.schedules[STATUTORY_NOTICE]
    if notice_due.due < applying.today:
        raise refuse(
            f"Copies must reach Ofsted, DfE and the National Panel at least 7 working days before publication, "
            f"by {notice_due.due.isoformat()} for {day.isoformat()}, and that has passed: choose a later date (000)."
        )
    case.publication.report_withheld = withheld
    case.publication.planned_on = day
    if case.active_proceedings:
        case.stage = Stage.PUBLICATION_ON_HOLD
        held = ", ".join(sorted(case.active_proceedings))
        return Outcome(
            "decision", f"Publication decided for {day} but on hold until proceedings conclude: {held}", rationale
        )
    notices = _enter_pre_publication(case, applying.now, applying.results)
    summary = f"Publication planned for {day.isoformat()}"
    return Outcome("decision", summary, rationale, {"publication_on": day.isoformat()}, notices)


def _enter_pre_publication(
    case: CaseFile, now: datetime, results: EffectResults, previous: date | None = None
) -> list[NoticeRequest]:
    """Set the publication clocks and send the copies to Ofsted, DfE and the National Panel now. With the
    documents attached, the statutory notice is met when they are delivered (``copies.copy_delivery``); cases
    started before that still count it met on sending."""
    planned = case.publication.planned_on
    assert planned is not None
    case.stage = Stage.PRE_PUBLICATION
    replace_deadline(case, results.schedules[STATUTORY_NOTICE], now)
    replace_deadline(case, results.schedules[PUBLICATION_STEPS], now)
    case.publication.copies_sent_for = planned
    if case.publication.deliver_copies:
        documents = copies.current_versions(results)
        return [copies.copy_notice(case, documents, COPY_RECIPIENTS, fresh=True, previous=previous)]
    meet(case, STATUTORY_NOTICE, now)
    what = "the board's response and action plan" if case.publication.report_withheld else "the overview report"
    facts = {"publication_on": planned.isoformat(), "what": what}
    return [NoticeRequest(NoticeKind.PREPUBLICATION_COPY, COPY_RECIPIENTS, planned.isoformat(), facts)]


class DecidePublication(DecisionHandler[DecidePublicationInput]):
    input_type = DecidePublicationInput
    roles = (CHAIR,)
    stages = (Stage.PUBLICATION_DECISION,)
    describes = "decide on publication"

    def check_rule(self, case: CaseFile, actor: Actor, d: DecidePublicationInput, today: date) -> None:
        if case.publication.non_publication_pending:
            raise refuse("A decision not to publish awaits the panel's advice and the chair's final decision.")
        if d.publication_on is not None:
            _check_future(d.publication_on, today)

    def deadlines(self, case: CaseFile, d: DecidePublicationInput, today: date) -> DeadlineNeeds | None:
        return _planning(case, d.publication_on) if d.publication_on is not None else None

    def own_effects(self, case: CaseFile, d: DecidePublicationInput, today: date) -> list[Effect]:
        return copies.prepare(case, withheld=False) if d.decision == "publish" else []

    def apply(self, case: CaseFile, actor: Actor, d: DecidePublicationInput, applying: Applying) -> Outcome:
        meet(case, PUBLICATION_DECISION, applying.now)
        if d.decision == "do_not_publish":
            case.publication.non_publication_pending = True
            case.panel_advice_mark = case.panel_advice_count
            case.dfe_advice_mark = case.dfe_advice_count
            occurrence = str(case.next_occurrence("non_publication"))
            # Not publishing may be "for a range of reasons" (000): the notice states the one recorded, in the
            # board's fixed words; the chair's own reasons stay on the case (they may identify the family).
            reason = NON_PUBLICATION_REASONS[d.non_publication_reason or "other"]
            facts = {"reason": reason, "decided_on": applying.today.isoformat()} if case.statutory_notices else {}
            recipients = (Recipient.DFE, Recipient.NATIONAL_PANEL)
            notice = NoticeRequest(NoticeKind.NON_PUBLICATION, recipients, occurrence, facts)
            summary = "Chair decided not to publish; DfE and the panel are told and asked for their advice"
            details = {"non_publication_reason": d.non_publication_reason, "reason": reason}
            return Outcome("decision", summary, d.reasons, details, [notice])
        assert d.publication_on is not None  # the input model requires it to publish
        return _plan_publication(case, d.publication_on, applying, withheld=False, rationale=d.reasons)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PUBLICATION_DECISION or case.publication.non_publication_pending:
            return []
        return [self.task("Decide whether and when to publish")]


class DecideFinalPublication(DecisionHandler[DecideFinalPublicationInput]):
    input_type = DecideFinalPublicationInput
    roles = (CHAIR,)
    stages = (Stage.PUBLICATION_DECISION,)
    describes = "take the final decision on non-publication"

    def check_rule(self, case: CaseFile, actor: Actor, d: DecideFinalPublicationInput, today: date) -> None:
        if not case.publication.non_publication_pending:
            raise refuse("There is no decision not to publish awaiting a final decision.")
        if not panel_advice_since_mark(case):
            raise refuse("Record the National Panel's advice on not publishing before the final decision.")
        _check_future(d.publication_on, today)

    def deadlines(self, case: CaseFile, d: DecideFinalPublicationInput, today: date) -> DeadlineNeeds | None:
        return _planning(case, d.publication_on)

    def own_effects(self, case: CaseFile, d: DecideFinalPublicationInput, today: date) -> list[Effect]:
        return copies.prepare(case, withheld=d.decision == "do_not_publish")

    def apply(self, case: CaseFile, actor: Actor, d: DecideFinalPublicationInput, applying: Applying) -> Outcome:
        withheld = d.decision == "do_not_publish"
        outcome = _plan_publication(case, d.publication_on, applying, withheld=withheld, rationale=d.rationale)
        case.publication.non_publication_pending = False
        text = (
            "the report is not published; the board's response and actions are published"
            if withheld
            else "the report is published"
        )
        facts = {"decision_text": text, "publication_on": d.publication_on.isoformat()}
        occurrence = str(case.next_occurrence("final_publication"))
        outcome.notices.append(NoticeRequest(NoticeKind.FINAL_PUBLICATION_DECISION, COPY_RECIPIENTS, occurrence, facts))
        outcome.summary = f"Final publication decision: {text}. " + outcome.summary
        return outcome

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        pending = case.stage == Stage.PUBLICATION_DECISION and case.publication.non_publication_pending
        if not pending or not panel_advice_since_mark(case):
            return []
        return [self.task("Take the final decision on publication")]


class DfeAdvice(DecisionHandler[RecordDfeAdviceInput]):
    """DfE advises on a decision not to publish, as the National Panel does (000); each advice is recorded."""

    input_type = RecordDfeAdviceInput
    roles = (BM, Role.SUB_GROUP)
    stages = (Stage.PUBLICATION_DECISION,)
    describes = "record DfE's advice"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordDfeAdviceInput, today: date) -> None:
        if not case.publication.non_publication_pending:
            raise refuse("DfE's advice is recorded on a decision not to publish, and none awaits advice.")

    def apply(self, case: CaseFile, actor: Actor, d: RecordDfeAdviceInput, applying: Applying) -> Outcome:
        case.dfe_advice_count += 1
        notice = NoticeRequest(
            NoticeKind.CASE_DECISION,
            (CHAIR.value,),
            f"dfe_advice:{case.dfe_advice_count}",
            {"decision_text": f"DfE advice recorded ({d.outcome})", "stage": case.stage.value},
        )
        summary = f"DfE advice recorded: {d.outcome.replace('_', ' ')}"
        return Outcome(
            "decision", summary, d.advice, {"outcome": d.outcome, "letter_document": d.letter_document}, [notice]
        )

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        pending = case.stage == Stage.PUBLICATION_DECISION and case.publication.non_publication_pending
        if not pending or not case.statutory_notices or case.dfe_advice_count > case.dfe_advice_mark:
            return []
        return [self.task("Record DfE's advice on not publishing")]


class RecordPrepublication(DecisionHandler[RecordPrepublicationInput]):
    input_type = RecordPrepublicationInput
    roles = (BM, CHAIR)
    stages = (Stage.PRE_PUBLICATION,)
    describes = "record a pre-publication step"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordPrepublicationInput, today: date) -> None:
        if d.item not in consent_items(case):
            raise refuse(
                "The chair's consent is not a step on this board's cases: the chair's decision to publish is the "
                "consent (001 §4); a board that wants a second sign-off sets SCR_CHAIR_CONSENT_STEP."
            )
        if (d.item == CHAIR_CONSENT) != (actor.role == CHAIR):
            who = "the independent chair" if d.item == CHAIR_CONSENT else "the business manager"
            raise refuse(f"'{d.item}' is recorded by {who}.", Refusal.FORBIDDEN)

    def apply(self, case: CaseFile, actor: Actor, d: RecordPrepublicationInput, applying: Applying) -> Outcome:
        case.publication.consent[d.item] = d.note
        if not _missing_steps(case):
            meet(case, PUBLICATION_STEPS, applying.now)
        summary = f"Pre-publication step recorded: {d.item.replace('_', ' ')}"
        return Outcome("decision", summary, d.note, {"item": d.item})

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PRE_PUBLICATION:
            return []
        return [
            self.task(
                f"Record: {item.replace('_', ' ')}",
                due.get(PUBLICATION_STEPS),
                (CHAIR,) if item == CHAIR_CONSENT else (BM,),
            )
            for item in _missing_steps(case)
        ]


class MovePublicationDate(DecisionHandler[MovePublicationDateInput]):
    input_type = MovePublicationDateInput
    roles = (CHAIR,)
    stages = (Stage.PRE_PUBLICATION,)
    describes = "move the publication date"

    def check_rule(self, case: CaseFile, actor: Actor, d: MovePublicationDateInput, today: date) -> None:
        _check_future(d.publication_on, today)

    def deadlines(self, case: CaseFile, d: MovePublicationDateInput, today: date) -> DeadlineNeeds | None:
        return _planning(case, d.publication_on)

    def own_effects(self, case: CaseFile, d: MovePublicationDateInput, today: date) -> list[Effect]:
        return copies.prepare(case, withheld=case.publication.report_withheld)

    def apply(self, case: CaseFile, actor: Actor, d: MovePublicationDateInput, applying: Applying) -> Outcome:
        old = case.publication.planned_on
        notice_due = applying.results.schedules[STATUTORY_NOTICE]
        if notice_due.due < applying.today:
            raise refuse(
                f"Copies must go out by {notice_due.due.isoformat()} for {d.publication_on.isoformat()}, which has "
                "passed: choose a later date."
            )
        case.publication.planned_on = d.publication_on
        notices = _enter_pre_publication(case, applying.now, applying.results, previous=old)
        notices += copies.tell_date_holders(case, change="moved", reason="", previous=old, new=d.publication_on)
        old_text = old.isoformat() if old else "none"
        summary = f"Publication date moved from {old_text} to {d.publication_on.isoformat()}"
        return Outcome("decision", summary, d.reason, {}, notices)


class ConfirmPublished(DecisionHandler[RecordPublishedInput]):
    input_type = RecordPublishedInput
    roles = (Role.PUBLISHER,)
    stages = (Stage.PRE_PUBLICATION,)
    describes = "confirm publication"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordPublishedInput, today: date) -> None:
        missing = _missing_steps(case)
        if missing:
            raise refuse("Before publication these steps must be recorded: " + ", ".join(missing) + ".")
        planned = case.publication.planned_on
        if planned is not None and today < planned:
            raise refuse(f"Publication is planned for {planned.isoformat()}; it cannot go up before then.")
        copies.check_delivered(case)

    def deadlines(self, case: CaseFile, d: RecordPublishedInput, today: date) -> DeadlineNeeds | None:
        return DeadlineNeeds({CaseEvent.PUBLISHED.value: today})

    def own_effects(self, case: CaseFile, d: RecordPublishedInput, today: date) -> list[Effect]:
        return [PublishReview(copies.publish_request(case))]

    def apply(self, case: CaseFile, actor: Actor, d: RecordPublishedInput, applying: Applying) -> Outcome:
        result = applying.results.publication
        copies.check_unchanged(result)
        if result is None or not result.published or result.location is None:
            raise refuse(_gate_refusal(result))
        case.publication.location = result.location
        case.publication.published_on = applying.today
        meet(case, PUBLICATION_STEPS, applying.now)
        add_deadline(case, applying.results.schedules["website_minimum"], applying.now, on_due="retain")
        case.stage = Stage.PUBLISHED
        what = (
            "board's response and actions"
            if case.publication.report_withheld
            else "overview report, summary and response"
        )
        return Outcome("decision", f"Published on the website: {what}", None, {"location": case.publication.location})

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PRE_PUBLICATION or _missing_steps(case) or copies.undelivered(case):
            return []
        return [self.task("Publish on the website", case.publication.planned_on)]


def _gate_refusal(result: PublishReviewResult | None) -> str:
    hits = result.hits if result is not None else []
    unreadable = result.unreadable if result is not None else []
    if unreadable and not hits:
        parts = "; ".join(f"{p.document_kind}: {p.part}: {p.reason}" for p in unreadable[:10])
        return (
            f"The anonymisation gate cannot read {len(unreadable)} part(s) of the documents, so they are not "
            f"clear: {parts}. Replace the documents with ones it can read; then publish again."
        )
    places = "; ".join(f"{hit.document_kind}: {hit.category} at {hit.place}" for hit in hits[:10])
    more = f" (and {len(hits) - 10} more)" if len(hits) > 10 else ""
    unread = f" It also cannot read {len(unreadable)} part(s) of them." if unreadable else ""
    return (
        f"The anonymisation gate found {len(hits)} possible identifying detail(s): {places}{more}.{unread} "
        "Correct the documents, or the chair may accept a specific hit with a reason; then publish again."
    )


HANDLERS = (
    DfeAdvice(),
    DecidePublication(),
    DecideFinalPublication(),
    RecordProceedings(),
    UpdateBoardResponse(),
    RecordPrepublication(),
    MovePublicationDate(),
    copies.SendCopies(),
    ConfirmPublished(),
)
