"""The pre-publication copies (000, 001 §11, 003): Ofsted, DfE and the National Panel must *receive* the overview
report, the executive summary and the action information at least 7 working days before publication.

The copies carry the documents as attachments; ``prepublication_notice`` is met when the mail server has accepted
them for all three, never when the decision is taken; a refusal keeps it open and blocks publication; what is
published is exactly the versions delivered (by SHA-256), and a document uploaded again after them must be sent
again, at least 7 working days before the date. A hold or a new date is told to everyone who holds the date, and
the steps with professionals, family and the media are recorded again for the new schedule.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.case_file import CaseFile, CopySet
from domain.case_messages import Actor, AwaitedDecision, NoticeKind
from domain.decision_inputs import SendCopiesInput
from domain.documents import KIND_TITLES, DocumentKind
from domain.lifecycle.clocks import meet, replace_deadline
from domain.lifecycle.effects import Effect, EffectResults, PrepareCopies
from domain.lifecycle.handler import Applying, DecisionHandler
from domain.lifecycle.outcome import NoticeRequest, Outcome, refuse
from domain.publication_messages import CopyDocument, PrepareCopiesInput, PublishReviewInput, PublishReviewResult
from domain.roles import Recipient, Role
from domain.stages import Stage
from domain.uk_time import london_date

STATUTORY_NOTICE = "prepublication_notice"
PUBLICATION_STEPS = "prepublication_steps"
COPY_RECIPIENTS = (Recipient.OFSTED, Recipient.DFE, Recipient.NATIONAL_PANEL)
RECIPIENT_NAMES: dict[str, str] = {
    Recipient.OFSTED: "Ofsted",
    Recipient.DFE: "DfE",
    Recipient.NATIONAL_PANEL: "the National Panel",
}
# Steps that hold the date: recorded again when it moves or publication is held (scr-process.md §11, 003).
RESCHEDULED_STEPS = ("professionals_informed", "family_supported", "media_strategy_ready")
# Who was told the date by a step (and so is told when it changes).
TOLD_BY_STEP = {"professionals_informed": Recipient.PROFESSIONALS, "family_supported": Recipient.FAMILY}
SOURCE = "NEL SCR report & publishing policy (000); NEL SCR procedure (001) §11"


def _name(recipient: str) -> str:
    return RECIPIENT_NAMES.get(recipient, recipient.replace("_", " "))


def _kinds(documents: list[CopyDocument]) -> str:
    return ", ".join(KIND_TITLES[DocumentKind(d.kind)].lower() for d in documents)


def prepare(case: CaseFile, *, withheld: bool) -> list[Effect]:
    """The effect that finds the versions to attach: only for cases whose copies carry the documents."""
    if not case.publication.deliver_copies:
        return []
    return [PrepareCopies(PrepareCopiesInput(reference=case.reference, withheld=withheld))]


def current_versions(results: EffectResults) -> list[CopyDocument]:
    prepared = results.copies
    if prepared is None:  # the handler declared no PrepareCopies: a rule error, not the user's
        raise refuse("The documents to send could not be found; nothing was changed. Try again.")
    if prepared.hits:
        places = "; ".join(f"{hit.document_kind}: {hit.category} at {hit.place}" for hit in prepared.hits[:10])
        more = f" (and {len(prepared.hits) - 10} more)" if len(prepared.hits) > 10 else ""
        raise refuse(
            f"The anonymisation gate found {len(prepared.hits)} possible identifying detail(s) in the documents the "
            f"copies would carry: {places}{more}. The copies are what will be published: correct the documents, or "
            "the chair may accept a specific hit with a reason; then decide again."
        )
    if prepared.unreadable:
        parts = "; ".join(f"{p.document_kind}: {p.part} ({p.reason})" for p in prepared.unreadable[:10])
        raise refuse(
            f"The anonymisation gate cannot read every part of the documents the copies would carry, so they are not "
            f"clear: {parts}. Replace those parts (e.g. a scanned page with its text), then decide again."
        )
    if prepared.missing:
        names = ", ".join(KIND_TITLES[DocumentKind(kind)].lower() for kind in prepared.missing)
        raise refuse(
            "The pre-publication copies carry the documents themselves to Ofsted, DfE and the National Panel: "
            f"upload the {names} first (000, 001 §11)."
        )
    return prepared.documents


def copy_notice(
    case: CaseFile,
    documents: list[CopyDocument],
    recipients: tuple[str, ...],
    *,
    fresh: bool,
    previous: date | None = None,
) -> NoticeRequest:
    """The copies to ``recipients``; ``fresh``: a new sending for the date (every recipient must receive it
    again), else a resend of the same versions to those who have not received them."""
    planned = case.publication.planned_on
    assert planned is not None
    copies = case.publication.copies
    if fresh or copies is None or copies.documents != documents or copies.planned_on != planned:
        copies = CopySet(planned_on=planned, documents=documents, occurrences=[])
        case.publication.copies = copies
    occurrence = f"{planned.isoformat()}:{case.next_occurrence('prepublication_copy')}"
    copies.occurrences.append(occurrence)
    for recipient in recipients:
        copies.refused.pop(recipient, None)
    what = "the board's response and action plan" if case.publication.report_withheld else "the overview report"
    facts = {
        "publication_on": planned.isoformat(),
        "what": what,
        "attached": _kinds(documents),
        "previous_date": previous.isoformat() if previous is not None and previous != planned else "",
    }
    return NoticeRequest(
        NoticeKind.PREPUBLICATION_COPY, recipients, occurrence, facts, tuple(documents), track_delivery=True
    )


def copy_delivery(case: CaseFile, occurrence: str, recipient: str, now: datetime, refused: str | None) -> Outcome:
    """What the mail server did with one recipient's copies: delivered (the notice is met once all three have
    the current versions) or refused (it stays open; publication waits)."""
    copies = case.publication.copies
    who = _name(recipient)
    if copies is None or occurrence not in copies.occurrences:
        state = "refused" if refused else "delivered"
        return Outcome("copies_superseded", f"Earlier pre-publication copies {state} for {who} (since replaced)")
    if refused is not None:
        copies.refused[recipient] = refused
        summary = (
            f"Pre-publication copies NOT delivered to {who}: the mail server refused them. The notice stays open "
            "and publication waits until they are delivered"
        )
        return Outcome("copies_refused", summary, details={"recipient": recipient, "reason": refused})
    copies.delivered[recipient] = now
    copies.refused.pop(recipient, None)
    summary = f"Pre-publication copies delivered to {who} ({_kinds(copies.documents)})"
    if all(r in copies.delivered for r in COPY_RECIPIENTS) and case.stage == Stage.PRE_PUBLICATION:
        meet(case, STATUTORY_NOTICE, now)
        summary += "; Ofsted, DfE and the National Panel now all have them"
    details = {"recipient": recipient, "documents": [d.model_dump() for d in copies.documents]}
    return Outcome("copies_delivered", summary, details=details)


def undelivered(case: CaseFile) -> list[str]:
    copies = case.publication.copies
    return [] if copies is None else [r for r in COPY_RECIPIENTS if r not in copies.delivered]


def check_delivered(case: CaseFile) -> None:
    """Publication waits for the copies of the versions to publish to reach all three, 7 working days ahead."""
    copies = case.publication.copies
    if copies is None:
        return  # copies sent before they carried the documents (cases started before the patch)
    missing = undelivered(case)
    if missing:
        parts = [
            f"{_name(r)} (refused by the mail server: {copies.refused[r]})" if r in copies.refused else _name(r)
            for r in missing
        ]
        raise refuse(
            "The pre-publication copies have not been delivered to " + ", ".join(parts) + ". They must be "
            "received before publication (000, 001 §11): correct the address and send them again "
            "(decision 'prepublication_copies')."
        )
    last = max(london_date(at) for at in copies.delivered.values())
    notice = case.deadlines.get(STATUTORY_NOTICE)
    if notice is not None and last > notice.schedule.due:
        raise refuse(
            f"The copies were delivered on {last.isoformat()}, fewer than 7 working days before the publication "
            f"date {copies.planned_on.isoformat()} (they were due by {notice.schedule.due.isoformat()}): move the "
            "publication date to at least 7 working days after the delivery (000)."
        )


def publish_request(case: CaseFile) -> PublishReviewInput:
    publication = case.publication
    assert publication.planned_on is not None  # the rules put a case in pre-publication with a date
    copies = publication.copies
    return PublishReviewInput(
        reference=case.reference,
        withheld=publication.report_withheld,
        publication_on=publication.planned_on,
        delivered=list(copies.documents) if copies is not None else None,
    )


def check_unchanged(result: PublishReviewResult | None) -> None:
    if result is None or not result.changed:
        return
    names = ", ".join(KIND_TITLES[DocumentKind(kind)].lower() for kind in result.changed)
    raise refuse(
        f"The {names} changed after the pre-publication copies were delivered: what is published must be what "
        "Ofsted, DfE and the National Panel received. Send the copies again (decision 'prepublication_copies'); "
        "the publication date must then be at least 7 working days after their delivery (000, 001 §11)."
    )


def tell_date_holders(
    case: CaseFile, *, change: str, reason: str, previous: date | None, new: date | None
) -> list[NoticeRequest]:
    """A hold (``new`` None) or a new date, told to everyone who holds the date: the copies' recipients once sent
    (a new date reaches them with the new copies), professionals and family once told. The steps that held the
    date must then be recorded again for the new schedule (scr-process.md §10-11, 003)."""
    if not case.publication.deliver_copies:
        return []
    holders: list[str] = []
    if case.publication.copies_sent_for is not None and new is None:  # the copies told them the date
        holders.extend(COPY_RECIPIENTS)
    holders.extend(told for step, told in TOLD_BY_STEP.items() if step in case.publication.consent)
    for step in RESCHEDULED_STEPS:
        case.publication.consent.pop(step, None)
    if not holders:
        return []
    facts = {
        "change": change,  # "on hold" or "moved"
        "reason": reason,
        "previous_date": previous.isoformat() if previous is not None else "",
        "publication_on": new.isoformat() if new is not None else "",
    }
    occurrence = str(case.next_occurrence("publication_rescheduled"))
    return [NoticeRequest(NoticeKind.PUBLICATION_RESCHEDULED, tuple(holders), occurrence, facts)]


class SendCopies(DecisionHandler[SendCopiesInput]):
    input_type = SendCopiesInput
    roles = (Role.BUSINESS_MANAGER,)
    stages = (Stage.PRE_PUBLICATION,)
    describes = "send the pre-publication copies again"

    def check_rule(self, case: CaseFile, actor: Actor, d: SendCopiesInput, today: date) -> None:
        notice = case.deadlines.get(STATUTORY_NOTICE)
        if notice is not None and notice.schedule.due < today:
            planned = case.publication.planned_on.isoformat() if case.publication.planned_on else "the date"
            raise refuse(
                f"Copies sent now would arrive fewer than 7 working days before {planned} (they were due by "
                f"{notice.schedule.due.isoformat()}): move the publication date instead, which sends them (000)."
            )

    def own_effects(self, case: CaseFile, d: SendCopiesInput, today: date) -> list[Effect]:
        return [PrepareCopies(PrepareCopiesInput(reference=case.reference, withheld=case.publication.report_withheld))]

    def apply(self, case: CaseFile, actor: Actor, d: SendCopiesInput, applying: Applying) -> Outcome:
        documents = current_versions(applying.results)
        case.publication.deliver_copies = True  # from now on this case's copies are counted on delivery
        copies = case.publication.copies
        same = copies is not None and copies.documents == documents and copies.planned_on == case.publication.planned_on
        recipients = tuple(undelivered(case)) if same else COPY_RECIPIENTS
        if not recipients:
            raise refuse("Ofsted, DfE and the National Panel have already received the current versions.")
        notice = copy_notice(case, documents, recipients, fresh=not same)
        deadline = case.deadlines.get(STATUTORY_NOTICE)
        if deadline is not None and not same:
            replace_deadline(case, deadline.schedule, applying.now)  # open again until the new versions arrive
        who = ", ".join(_name(r) for r in recipients)
        why = "the refused copies" if same else "new versions"
        summary = f"Pre-publication copies sent again ({why}) to {who}: {_kinds(documents)}"
        return Outcome("decision", summary, d.note, {"documents": [x.model_dump() for x in documents]}, [notice])

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        copies = case.publication.copies
        if case.stage != Stage.PRE_PUBLICATION or copies is None or not copies.refused:
            return []
        who = ", ".join(_name(r) for r in COPY_RECIPIENTS if r in copies.refused)
        return [self.task(f"Send the pre-publication copies again to {who} (refused)", due.get(STATUTORY_NOTICE))]


def notice_delivery(
    case: CaseFile, notice: NoticeRequest, recipient: str, now: datetime, refused: str | None
) -> Outcome:
    """What a tracked notice's delivery (or refusal) changes on the case."""
    return copy_delivery(case, notice.occurrence, recipient, now, refused)
