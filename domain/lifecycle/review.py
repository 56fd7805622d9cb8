"""Review phase: reviewer appointment, the review itself (information requests, agency accounts, delays), the
final report and its quality assurance (001 §6–§9)."""

from __future__ import annotations

import re
from datetime import date

from domain.case_file import CaseFile, InformationRequest
from domain.case_messages import Actor, AdhocDeadline, AwaitedDecision, NoticeKind, Refusal
from domain.decision_inputs import (
    AppointReviewersInput,
    RecordAgencyAccountInput,
    RecordInformationResponseInput,
    RecordQualityAssuranceInput,
    RecordReviewDelayInput,
    RequestInformationInput,
    StartReviewInput,
    SubmitFinalReportInput,
)
from domain.lifecycle.clocks import add_deadline, meet
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.outcome import NoticeRequest, Outcome, decision_notice, refuse
from domain.lifecycle.referral import panel_advice_since_mark
from domain.quality import QUALITY_RULES
from domain.roles import Recipient, Role
from domain.stages import Stage

BM, SG, CHAIR, REVIEWER = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR, Role.LEAD_REVIEWER
REVIEWERS_NAMED = "Lead reviewer(s) named"
"""How the timeline's appointment event begins; its details list the reviewers (with their accounts)."""
AGENCY_ACCOUNT_RECEIVED = "Written account received from {agency}"
INFORMATION_ANSWERED = "{agency} answered information request {request_id}"
AGENCYS_OWN_TEXT = re.compile(r"^(Written account received from .+|.+ answered information request [\w.-]+)$")
"""The timeline events whose text is an agency's own account: read as the agency accounts themselves are."""


def information_request_key(request_id: str) -> str:
    return f"information_request:{request_id}"


class AppointReviewers(DecisionHandler[AppointReviewersInput]):
    input_type = AppointReviewersInput
    roles = (BM, SG)
    stages = (Stage.REVIEWER_APPOINTMENT,)
    describes = "name the lead reviewers"

    def apply(self, case: CaseFile, actor: Actor, d: AppointReviewersInput, applying: Applying) -> Outcome:
        case.reviewers_named = True
        case.panel_advice_mark = case.panel_advice_count
        occurrence = str(case.next_occurrence("reviewers"))
        names = "; ".join(f"{r.name} ({r.organisation})" for r in d.reviewers)
        notice = NoticeRequest(NoticeKind.REVIEWER_NAMES, (Recipient.NATIONAL_PANEL,), occurrence, {"reviewers": names})
        details = {"reviewers": [r.model_dump() for r in d.reviewers]}
        return Outcome("decision", f"{REVIEWERS_NAMED}: {names}", None, details, [notice])

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.REVIEWER_APPOINTMENT or case.reviewers_named:
            return []
        return [self.task("Name the lead reviewer(s) with their independence")]


class StartReview(DecisionHandler[StartReviewInput]):
    input_type = StartReviewInput
    roles = (CHAIR,)
    stages = (Stage.REVIEWER_APPOINTMENT,)
    describes = "start the review"

    def check_rule(self, case: CaseFile, actor: Actor, d: StartReviewInput, today: date) -> None:
        if not case.reviewers_named:
            raise refuse("Name the lead reviewers (decision 'reviewers') before the review starts.")
        if not panel_advice_since_mark(case) and d.without_panel_advice_reason is None:
            raise refuse(
                "The review starts once the National Panel's advice on the reviewers is recorded, or the chair "
                "records why it proceeds without it ('without_panel_advice_reason')."
            )

    def apply(self, case: CaseFile, actor: Actor, d: StartReviewInput, applying: Applying) -> Outcome:
        case.stage = Stage.IN_REVIEW
        details = {"without_panel_advice_reason": d.without_panel_advice_reason}
        return Outcome("decision", "Review started", d.rationale, details)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.REVIEWER_APPOINTMENT or not case.reviewers_named:
            return []
        return [self.task("Start the review")]


class RequestInformation(DecisionHandler[RequestInformationInput]):
    input_type = RequestInformationInput
    roles = (REVIEWER, BM)
    stages = (Stage.IN_REVIEW,)
    describes = "request information from an agency"

    def check_rule(self, case: CaseFile, actor: Actor, d: RequestInformationInput, today: date) -> None:
        if d.request_id in case.information_requests:
            raise refuse(f"An information request '{d.request_id}' already exists on this case.")
        if d.due_on <= today:
            raise refuse(f"due_on must be after today ({today.isoformat()}).", Refusal.INVALID)

    def deadlines(self, case: CaseFile, d: RequestInformationInput, today: date) -> DeadlineNeeds | None:
        deadline = AdhocDeadline(
            key=information_request_key(d.request_id),
            title=f"Information from {d.agency} ({d.request_id})",
            due=d.due_on,
            reminder_working_days_before=[3, 1],
            rule="due date set in the information request (s14B Children Act 2004)",
            source="NEL SCR procedure (001) §8",
            who_acts=BM.value,
            escalate_to=[SG.value],
        )
        return DeadlineNeeds({}, (deadline,))

    def apply(self, case: CaseFile, actor: Actor, d: RequestInformationInput, applying: Applying) -> Outcome:
        key = information_request_key(d.request_id)
        case.information_requests[d.request_id] = InformationRequest(
            request_id=d.request_id, agency=d.agency, due_on=d.due_on
        )
        add_deadline(case, applying.results.schedules[key], applying.now)
        text = f"information requested from {d.agency} by {d.due_on}"
        notice = decision_notice(case, (BM.value,), key, text)
        details = {
            "request_id": d.request_id,
            "agency": d.agency,
            "information": d.information,
            "necessity": d.necessity,
            "proportionality": d.proportionality,
            "due_on": d.due_on.isoformat(),
        }
        return Outcome("decision", f"Information requested from {d.agency}, due {d.due_on}", None, details, [notice])


class RecordInformationResponse(DecisionHandler[RecordInformationResponseInput]):
    input_type = RecordInformationResponseInput
    roles = (Role.AGENCY_CONTACT, BM)
    stages = (Stage.IN_REVIEW, Stage.QUALITY_ASSURANCE)
    describes = "record an agency's response"
    standing = True

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordInformationResponseInput, today: date) -> None:
        request = case.information_requests.get(d.request_id)
        if request is None:
            known = ", ".join(sorted(case.information_requests)) or "none"
            raise refuse(f"There is no information request '{d.request_id}' (requests: {known}).")
        if request.answered_at is not None:
            raise refuse(f"Information request '{d.request_id}' has already been answered.")

    def apply(self, case: CaseFile, actor: Actor, d: RecordInformationResponseInput, applying: Applying) -> Outcome:
        request = case.information_requests[d.request_id]
        request.answered_at = applying.now
        meet(case, information_request_key(d.request_id), applying.now)
        summary = INFORMATION_ANSWERED.format(agency=request.agency, request_id=d.request_id)
        return Outcome("decision", summary, d.summary)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage not in self.stages:
            return []
        return [
            self.task(f"Answer information request {r.request_id} ({r.agency})", r.due_on)
            for r in case.information_requests.values()
            if r.answered_at is None
        ]


class RecordAgencyAccount(DecisionHandler[RecordAgencyAccountInput]):
    input_type = RecordAgencyAccountInput
    roles = (Role.AGENCY_CONTACT, BM, REVIEWER)
    stages = (Stage.IN_REVIEW,)
    describes = "record an agency's written account"

    def apply(self, case: CaseFile, actor: Actor, d: RecordAgencyAccountInput, applying: Applying) -> Outcome:
        summary = AGENCY_ACCOUNT_RECEIVED.format(agency=d.agency)
        return Outcome("decision", summary, d.summary, {"agency": d.agency})


class RecordReviewDelay(DecisionHandler[RecordReviewDelayInput]):
    input_type = RecordReviewDelayInput
    roles = (REVIEWER, SG)
    stages = (Stage.IN_REVIEW,)
    describes = "record a delay to the review"

    def apply(self, case: CaseFile, actor: Actor, d: RecordReviewDelayInput, applying: Applying) -> Outcome:
        expected = d.expected_completion_on.isoformat() if d.expected_completion_on else None
        occurrence = f"review_delay:{case.next_occurrence('review_delay')}"
        notice = decision_notice(case, (SG.value, CHAIR.value), occurrence, "the review will overrun")
        details = {
            "interim_learning": d.interim_learning,
            "corrective_actions": d.corrective_actions,
            "expected_completion_on": expected,
        }
        return Outcome("decision", "Review delay recorded with interim learning", d.reason, details, [notice])


class SubmitFinalReport(DecisionHandler[SubmitFinalReportInput]):
    input_type = SubmitFinalReportInput
    roles = (REVIEWER,)
    stages = (Stage.IN_REVIEW,)
    describes = "submit the final report"

    def apply(self, case: CaseFile, actor: Actor, d: SubmitFinalReportInput, applying: Applying) -> Outcome:
        case.report_submissions += 1
        case.stage = Stage.QUALITY_ASSURANCE
        occurrence = f"final_report:{case.report_submissions}"
        notice = decision_notice(case, (SG.value,), occurrence, "the final report awaits quality assurance")
        details = {"document": d.document, "submission": case.report_submissions}
        summary = f"Final report submitted (submission {case.report_submissions})"
        return Outcome("decision", summary, d.summary, details, [notice])

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.IN_REVIEW:
            return []
        return [self.task("Submit the final report", due.get("review_completion"))]


class RecordQualityAssurance(DecisionHandler[RecordQualityAssuranceInput]):
    input_type = RecordQualityAssuranceInput
    roles = (SG,)
    stages = (Stage.QUALITY_ASSURANCE,)
    describes = "record the quality assurance"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordQualityAssuranceInput, today: date) -> None:
        missing = sorted(set(QUALITY_RULES) - set(d.checks))
        unknown = sorted(set(d.checks) - set(QUALITY_RULES))
        if missing or unknown:
            parts = []
            if missing:
                parts.append("missing: " + ", ".join(missing))
            if unknown:
                parts.append("not quality rules: " + ", ".join(unknown))
            raise refuse(
                "Every quality rule needs a pass or fail with a comment (" + "; ".join(parts) + ").", Refusal.INVALID
            )

    def apply(self, case: CaseFile, actor: Actor, d: RecordQualityAssuranceInput, applying: Applying) -> Outcome:
        failed = sorted(rule for rule, result in d.checks.items() if not result.passed)
        details = {"checks": {rule: result.model_dump() for rule, result in d.checks.items()}}
        if failed:
            case.quality_failures += 1
            case.stage = Stage.IN_REVIEW
            notice = decision_notice(
                case,
                (REVIEWER.value,),
                f"quality_assurance:{case.quality_failures}",
                "the final report went back to the reviewer: " + ", ".join(failed),
            )
            return Outcome("decision", "Quality assurance failed: " + ", ".join(failed), None, details, [notice])
        meet(case, "review_completion", applying.now)
        case.stage = Stage.ACTION_PLAN
        return Outcome("decision", "Quality assurance passed on every rule", None, details)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.QUALITY_ASSURANCE:
            return []
        return [self.task("Check the final report against the quality rules", due.get("review_completion"))]


HANDLERS = (
    AppointReviewers(),
    StartReview(),
    RequestInformation(),
    RecordInformationResponse(),
    RecordAgencyAccount(),
    RecordReviewDelay(),
    SubmitFinalReport(),
    RecordQualityAssurance(),
)
